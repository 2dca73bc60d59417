package dev.blip4j.models.gradcam;

import dev.blip4j.core.InputException;
import dev.blip4j.models.image.RgbImage;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * Grad-CAM maps drawn over their image as LAVIS's {@code getAttMap} draws them: the map scaled to
 * [0, 1], upsampled to the picture with bicubic interpolation (Keys' cubic convolution, a = -0.5,
 * edges clamped), blurred with a Gaussian of sigma 2% of the picture's longer side (cut at 4
 * sigma, edges reflected), scaled to [0, 1] again, coloured with the jet colour map and blended
 * as {@code (1 - m^0.7) * image + m^0.7 * jet(m)}. The picture is the image scaled so that its
 * longer side is between 256 and 768 pixels (small images grow so that the map can be seen).
 * The model sees the image squashed to a square, so the grid is stretched over the whole picture.
 */
public final class HeatMaps {

    private static final int MIN_SIDE = 256;
    private static final int MAX_SIDE = 768;

    private HeatMaps() {}

    /** One map ({@code grid * grid} values, row-major) over {@code image}. */
    public static BufferedImage overlay(RgbImage image, float[] map, int grid) {
        if (grid < 1 || map.length != grid * grid) {
            throw new InputException("a heat map needs grid x grid values, got " + map.length + " for grid " + grid);
        }
        BufferedImage picture = picture(image);
        int w = picture.getWidth();
        int h = picture.getHeight();
        double[] heat = blur(upsample(unit(map), grid, w, h), w, h, 0.02 * Math.max(w, h));
        heat = unit(heat);
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double m = heat[y * w + x];
                double a = Math.pow(m, 0.7);
                int rgb = picture.getRGB(x, y);
                double[] jet = jet(m);
                int r = blend((rgb >> 16) & 0xff, jet[0], a);
                int g = blend((rgb >> 8) & 0xff, jet[1], a);
                int b = blend(rgb & 0xff, jet[2], a);
                out.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        return out;
    }

    /**
     * Writes {@code <prefix>.words.png} (the words map) and {@code <prefix>.<t>.<token>.png} for
     * each word token t into {@code dir} (created when missing).
     *
     * @return the files written, the words map first
     */
    public static List<Path> write(Path dir, String prefix, RgbImage image, GradCam cam) {
        List<Path> files = new ArrayList<>();
        try {
            Files.createDirectories(dir);
            files.add(png(dir.resolve(prefix + ".words.png"), overlay(image, cam.wordsMap(), cam.grid())));
            for (int t : cam.words()) {
                String name = prefix + "." + t + "." + fileSafe(cam.tokens().get(t)) + ".png";
                files.add(png(dir.resolve(name), overlay(image, cam.tokenMap(t), cam.grid())));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write Grad-CAM pictures to " + dir + ": " + e.getMessage(), e);
        }
        return files;
    }

    private static Path png(Path file, BufferedImage image) throws IOException {
        if (!ImageIO.write(image, "png", file.toFile())) {
            throw new IOException("no PNG writer");
        }
        return file;
    }

    /** A token as part of a file name: {@code ##} dropped, anything but letters and digits as {@code _}. */
    static String fileSafe(String token) {
        String s = token.replace("##", "").toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}]", "_");
        return s.isEmpty() ? "_" : s;
    }

    /** The image at the picture's size, as RGB. */
    private static BufferedImage picture(RgbImage image) {
        int longer = Math.max(image.width(), image.height());
        double scale = longer < MIN_SIDE ? (double) MIN_SIDE / longer : longer > MAX_SIDE ? (double) MAX_SIDE / longer : 1;
        BufferedImage src = new BufferedImage(image.width(), image.height(), BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < image.height(); y++) {
            for (int x = 0; x < image.width(); x++) {
                src.setRGB(x, y, image.rgb(x, y));
            }
        }
        if (scale == 1) {
            return src;
        }
        int w = Math.max(1, (int) Math.round(image.width() * scale));
        int h = Math.max(1, (int) Math.round(image.height() * scale));
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
        g.drawImage(src, 0, 0, w, h, null);
        g.dispose();
        return out;
    }

    /** {@code (v - min) / (max - min)}, or v - min when all values are equal. */
    private static double[] unit(float[] values) {
        double[] d = new double[values.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = values[i];
        }
        return unit(d);
    }

    private static double[] unit(double[] values) {
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (double v : values) {
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        double[] out = new double[values.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = max > min ? (values[i] - min) / (max - min) : values[i] - min;
        }
        return out;
    }

    /** Bicubic resampling of a grid x grid map to w x h, pixel centres aligned. */
    private static double[] upsample(double[] map, int grid, int w, int h) {
        double[] rows = new double[grid * w];
        for (int gy = 0; gy < grid; gy++) {
            for (int x = 0; x < w; x++) {
                rows[gy * w + x] = cubic(map, gy * grid, 1, grid, (x + 0.5) * grid / w - 0.5);
            }
        }
        double[] out = new double[h * w];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                out[y * w + x] = cubic(rows, x, w, grid, (y + 0.5) * grid / h - 0.5);
            }
        }
        return out;
    }

    /** Keys' cubic convolution (a = -0.5) at position t of n samples {@code v[start + i * stride]}, edges clamped. */
    private static double cubic(double[] v, int start, int stride, int n, double t) {
        int i0 = (int) Math.floor(t);
        double sum = 0;
        for (int k = -1; k <= 2; k++) {
            int i = Math.min(n - 1, Math.max(0, i0 + k));
            sum += v[start + i * stride] * keys(t - (i0 + k));
        }
        return sum;
    }

    private static double keys(double x) {
        double a = -0.5;
        x = Math.abs(x);
        if (x <= 1) {
            return ((a + 2) * x - (a + 3)) * x * x + 1;
        }
        if (x < 2) {
            return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a;
        }
        return 0;
    }

    /** Separable Gaussian blur, truncated at 4 sigma, edges reflected (scipy's defaults). */
    private static double[] blur(double[] img, int w, int h, double sigma) {
        int radius = (int) (4 * sigma + 0.5);
        double[] kernel = new double[2 * radius + 1];
        double total = 0;
        for (int i = -radius; i <= radius; i++) {
            kernel[i + radius] = Math.exp(-0.5 * i * i / (sigma * sigma));
            total += kernel[i + radius];
        }
        for (int i = 0; i < kernel.length; i++) {
            kernel[i] /= total;
        }
        double[] tmp = new double[img.length];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double s = 0;
                for (int k = -radius; k <= radius; k++) {
                    s += kernel[k + radius] * img[y * w + reflect(x + k, w)];
                }
                tmp[y * w + x] = s;
            }
        }
        double[] out = new double[img.length];
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                double s = 0;
                for (int k = -radius; k <= radius; k++) {
                    s += kernel[k + radius] * tmp[reflect(y + k, h) * w + x];
                }
                out[y * w + x] = s;
            }
        }
        return out;
    }

    /** scipy's 'reflect' boundary (d c b a | a b c d | d c b a), for any offset. */
    static int reflect(int i, int n) {
        int period = 2 * n;
        int m = Math.floorMod(i, period);
        return m < n ? m : period - 1 - m;
    }

    /** matplotlib's jet, piecewise linear: dark blue, blue, cyan, yellow, red, dark red. */
    private static double[] jet(double v) {
        return new double[] {clamp(1.5 - Math.abs(4 * v - 3)), clamp(1.5 - Math.abs(4 * v - 2)),
            clamp(1.5 - Math.abs(4 * v - 1))};
    }

    private static double clamp(double v) {
        return Math.max(0, Math.min(1, v));
    }

    private static int blend(int channel, double jet, double a) {
        return (int) Math.round(255 * ((1 - a) * channel / 255.0 + a * jet));
    }
}
