package dev.blip4j.cli;

import dev.blip4j.models.gradcam.GradCam;
import dev.blip4j.models.gradcam.HeatMaps;
import dev.blip4j.models.image.RgbImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** What {@code --gradcam DIR} adds to {@code itm} and {@code caption}: pictures in DIR and a JSON object per item. */
final class GradCamOutput {

    private GradCamOutput() {}

    /**
     * {@code {"layer", "grid": [g, g], "tokens", "token_maps": [[g*g] per token], "words_map": [g*g]}},
     * maps row-major.
     */
    static Map<String, Object> json(GradCam cam) {
        List<float[]> maps = new ArrayList<>();
        for (int t = 0; t < cam.tokens().size(); t++) {
            maps.add(cam.tokenMap(t));
        }
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("layer", cam.layer());
        o.put("grid", new int[] {cam.grid(), cam.grid()});
        o.put("tokens", cam.tokens());
        o.put("token_maps", maps);
        o.put("words_map", cam.wordsMap());
        return o;
    }

    /** {@code DIR/<image stem>.<index>.words.png} and one picture per word; returns the files. */
    static List<Path> write(Path dir, Path imageFile, int index, RgbImage image, GradCam cam) {
        return HeatMaps.write(dir, stem(imageFile) + "." + index, image, cam);
    }

    static String stem(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }
}
