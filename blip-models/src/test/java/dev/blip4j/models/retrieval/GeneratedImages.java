package dev.blip4j.models.retrieval;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;

/** Small random PNGs (coloured background, a few rectangles and ovals), deterministic from a seed. */
final class GeneratedImages {

    private GeneratedImages() {}

    /** {@code count} 40x40 PNGs spread over sub-folders of {@code folder} ({@code f0/}, {@code f1/g/}, ...). */
    static List<Path> write(Path folder, int count, long seed) {
        Random random = new Random(seed);
        List<Path> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Path dir = switch (i % 3) {
                case 0 -> folder.resolve("f0");
                case 1 -> folder.resolve("f1/g");
                default -> folder;
            };
            Path file = dir.resolve(String.format("img%04d.png", i));
            write(file, random);
            out.add(file);
        }
        return out;
    }

    static void write(Path file, Random random) {
        BufferedImage image = new BufferedImage(40, 40, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(new Color(random.nextInt(0x1000000)));
        g.fillRect(0, 0, 40, 40);
        for (int s = 0, n = 1 + random.nextInt(4); s < n; s++) {
            g.setColor(new Color(random.nextInt(0x1000000)));
            int x = random.nextInt(30);
            int y = random.nextInt(30);
            int w = 5 + random.nextInt(35 - x);
            int h = 5 + random.nextInt(35 - y);
            if (random.nextBoolean()) {
                g.fillRect(x, y, w, h);
            } else {
                g.fillOval(x, y, w, h);
            }
        }
        g.dispose();
        try {
            Files.createDirectories(file.getParent());
            ImageIO.write(image, "png", file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
