package dev.blip4j.models.gradcam;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blip4j.core.InputException;
import dev.blip4j.models.image.RgbImage;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pictures: where the map is hot the image turns dark red (jet's top), where it is coldest it shows as it is. */
class HeatMapsTest {

    /** A 400 x 200 grey image: the picture keeps its size (between 256 and 768 on the longer side). */
    private static final RgbImage GREY = grey(400, 200);

    private static RgbImage grey(int w, int h) {
        byte[] px = new byte[w * h * 3];
        Arrays.fill(px, (byte) 100);
        return new RgbImage(w, h, px);
    }

    @Test
    void theHotCellIsDarkRedAndTheColdestPixelIsTheImage() {
        float[] map = new float[16];
        map[1 * 4 + 2] = 1f; // row 1, column 2 of a 4 x 4 grid
        BufferedImage picture = HeatMaps.overlay(GREY, map, 4);
        assertEquals(400, picture.getWidth());
        assertEquals(200, picture.getHeight());
        int hot = picture.getRGB(250, 75); // centre of that cell: x in [200, 300), y in [50, 100)
        assertEquals(127, (hot >> 16) & 0xff, 2);
        assertEquals(0, (hot >> 8) & 0xff, 2);
        assertEquals(0, hot & 0xff, 2);
        // the coldest pixel (bicubic overshoot puts it near the hot cell, as in LAVIS) shows the image as it is
        boolean plain = false;
        for (int y = 0; y < 200 && !plain; y++) {
            for (int x = 0; x < 400 && !plain; x++) {
                plain = (picture.getRGB(x, y) & 0xffffff) == 0x646464;
            }
        }
        assertTrue(plain, "somewhere the map is 0 and the grey image shows untouched");
        int corner = picture.getRGB(0, 199);
        assertTrue((corner & 0xff) > ((corner >> 16) & 0xff), "a cold corner is bluish, not red: " + Integer.toHexString(corner));
    }

    @Test
    void smallImagesGrowAndLargeOnesShrink() {
        assertEquals(256, HeatMaps.overlay(grey(109, 72), new float[4], 2).getWidth());
        assertEquals(169, HeatMaps.overlay(grey(109, 72), new float[4], 2).getHeight());
        assertEquals(768, HeatMaps.overlay(grey(72, 1000), new float[4], 2).getHeight());
        assertThrows(InputException.class, () -> HeatMaps.overlay(GREY, new float[5], 2));
    }

    @Test
    void writesTheWordsMapAndOnePicturePerWord(@TempDir Path dir) throws Exception {
        float[][] maps = new float[5][16];
        for (int t = 0; t < 5; t++) {
            maps[t][t] = 1f;
        }
        GradCam cam = new GradCam(0, 4, List.of("[ENC]", "bear", "##s", "café!", "[SEP]"), maps, new int[] {1, 2, 3});
        List<Path> files = HeatMaps.write(dir.resolve("out"), "image0.2", GREY, cam);
        assertEquals(List.of("image0.2.words.png", "image0.2.1.bear.png", "image0.2.2.s.png", "image0.2.3.café_.png"),
                files.stream().map(p -> p.getFileName().toString()).toList());
        for (Path f : files) {
            assertTrue(Files.isRegularFile(f));
            assertEquals(400, ImageIO.read(f.toFile()).getWidth());
        }
        float[] words = cam.wordsMap();
        assertEquals(1 / 3f, words[1], 1e-7);
        assertEquals(1 / 3f, words[3], 1e-7);
        assertEquals(0f, words[0]);
    }

    @Test
    void reflectsAsScipy() {
        int[] got = new int[10];
        for (int i = -3; i < 7; i++) {
            got[i + 3] = HeatMaps.reflect(i, 4);
        }
        assertEquals(Arrays.toString(new int[] {2, 1, 0, 0, 1, 2, 3, 3, 2, 1}), Arrays.toString(got));
    }
}
