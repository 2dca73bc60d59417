package dev.blip4j.cli;

import dev.blip4j.models.gradcam.GradCam;
import dev.blip4j.models.gradcam.HeatMaps;
import dev.blip4j.models.image.RgbImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * {@code --gradcam DIR [--gradcam-layer N]} of {@code itm} and {@code caption}, and what it adds to
 * their output: pictures in DIR and a {@code gradcam} JSON object per item.
 */
final class GradCamOptions {

    @Option(names = "--gradcam", paramLabel = "DIR",
            description = "also write Grad-CAM heat maps to DIR: <image stem>.<index>.words.png and one picture "
                    + "per word; --json adds the maps")
    Path dir;

    @Option(names = "--gradcam-layer", paramLabel = "N",
            description = "the text layer Grad-CAM reads (default: 6 of 12, else the middle one)")
    Integer layer;

    /** Whether Grad-CAM was asked for; a layer without a folder is bad usage. */
    boolean wanted(CommandLine cli) {
        if (layer != null && dir == null) {
            throw new CommandLine.ParameterException(cli, "--gradcam-layer needs --gradcam DIR");
        }
        return dir != null;
    }

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
    List<Path> write(Path imageFile, int index, RgbImage image, GradCam cam) {
        return HeatMaps.write(dir, stem(imageFile) + "." + index, image, cam);
    }

    static String stem(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 ? name.substring(0, dot) : name;
    }
}
