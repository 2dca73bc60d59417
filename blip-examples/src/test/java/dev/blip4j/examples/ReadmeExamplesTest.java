package dev.blip4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blip4j.models.BlipModel;
import dev.blip4j.models.caption.Captioner;
import dev.blip4j.models.gradcam.GradCam;
import dev.blip4j.models.matching.FirstToken;
import dev.blip4j.models.matching.ItmGradCam;
import dev.blip4j.models.matching.MatchOptions;
import dev.blip4j.models.nlvr.NlvrClassifier;
import dev.blip4j.models.nlvr.NlvrResult;
import dev.blip4j.models.vqa.VisualQuestionAnswerer;
import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the README's snippets ({@code dev.blip4j.examples}) as a reader would: in a folder holding
 * what they name ({@code blip-image-captioning-base}, {@code blip-itm-base-coco},
 * {@code blip-vqa-base} as the tiny test models of those kinds, {@code photo.jpg}, {@code photos/},
 * {@code answer_list.json}, {@code pairs.jsonl}), in a JVM of their own, and checks what they print
 * against the task APIs run here.
 */
class ReadmeExamplesTest {

    static final List<String> EXAMPLES = List.of("Captioning", "Matching", "VisualQuestionAnswering", "DjlCaptioning",
            "DjlTasks", "CapFiltExample", "BatchingService", "Blip2Matching", "Nlvr", "GradCamExample");

    static Path golden(String rest) {
        return Path.of(System.getProperty("blip.testResources")).resolve("golden").resolve(rest);
    }

    static void jpeg(Path png, Path jpg) throws Exception {
        BufferedImage in = ImageIO.read(png.toFile());
        BufferedImage rgb = new BufferedImage(in.getWidth(), in.getHeight(), BufferedImage.TYPE_INT_RGB);
        rgb.getGraphics().drawImage(in, 0, 0, null);
        Files.createDirectories(jpg.getParent());
        assertTrue(ImageIO.write(rgb, "jpg", jpg.toFile()));
    }

    @Test
    void everySnippetRunsAndPrintsWhatTheApiGives(@TempDir Path dir) throws Exception {
        Files.createSymbolicLink(dir.resolve("blip-image-captioning-base"), golden("caption/hf").toAbsolutePath());
        Files.createSymbolicLink(dir.resolve("blip-itm-base-coco"), golden("retrieval/hf").toAbsolutePath());
        Files.createSymbolicLink(dir.resolve("blip-vqa-base"), golden("vqa/hf").toAbsolutePath());
        // the tiny NLVR2 checkpoint with the files that come beside it: its configs and its vocabulary
        for (String f : List.of("model.pth", "med_config.json", "blip_config.json")) {
            Files.createSymbolicLink(dir.resolve(f.equals("model.pth") ? "model_base_nlvr.pth" : f),
                    golden("nlvr/original/" + f).toAbsolutePath());
        }
        Files.createSymbolicLink(dir.resolve("vocab.txt"), golden("tokenizer/vocab.txt").toAbsolutePath());
        // BLIP-2's golden in LAVIS's layout, with its tiny vocabulary beside it as a real folder would have none
        Path blip2 = Files.createDirectories(dir.resolve("blip2-pretrained"));
        for (String f : List.of("original/model.pth", "original/blip2_config.json")) {
            Files.createSymbolicLink(blip2.resolve(Path.of(f).getFileName()), golden("blip2/" + f).toAbsolutePath());
        }
        Files.createSymbolicLink(blip2.resolve("vocab.txt"), golden("tokenizer/vocab.txt").toAbsolutePath());
        jpeg(golden("images/image0.png"), dir.resolve("photo.jpg"));
        jpeg(golden("images/image1.png"), dir.resolve("photos/dog.jpg"));
        jpeg(golden("images/image2.png"), dir.resolve("photos/cat.jpg"));
        Files.writeString(dir.resolve("answer_list.json"), "[\"red\", \"blue\", \"green\", \"a dog\", \"two\"]");
        Files.writeString(dir.resolve("pairs.jsonl"), "{\"image\": \"photo.jpg\", \"text\": \"a dog on a beach\"}\n"
                + "{\"image\": \"photos/cat.jpg\", \"text\": \"a cat\"}\n");

        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx2g", "-Dai.djl.offline=true", "-cp", System.getProperty("java.class.path"),
                RunExamples.class.getName()));
        command.addAll(EXAMPLES);
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), output);
        Map<String, String> printed = sections(output);
        assertEquals(EXAMPLES, List.copyOf(printed.keySet()), output);

        Path photo = dir.resolve("photo.jpg");
        try (BlipModel model = BlipModel.load(golden("caption/hf"))) {
            String caption = new Captioner(model).caption(photo).get(0).toString();
            assertEquals(caption, printed.get("Captioning").strip());
            String text = new Captioner(model).caption(photo).get(0).text();
            assertEquals(text + " | 2", printed.get("DjlCaptioning").strip());
            assertEquals(text, printed.get("BatchingService").strip());
        }
        try (BlipModel model = BlipModel.load(golden("vqa/hf"))) {
            VisualQuestionAnswerer vqa = new VisualQuestionAnswerer(model);
            String first = vqa.answer(photo, "how many dogs are there?").text() + " | "
                    + vqa.answer(model.readImage(photo), List.of("what color is the car?", "is it raining?")).get(1).text();
            assertEquals(first, printed.get("VisualQuestionAnswering").lines().findFirst().orElseThrow());
            assertEquals(6, printed.get("VisualQuestionAnswering").lines().count(), "answer line and the top 5");
        }
        assertTrue(printed.get("Matching").startsWith("Match[text=a dog on a beach, itm="), printed.get("Matching"));
        assertTrue(printed.get("Matching").contains("ImageFeatures[states=float["), printed.get("Matching"));
        assertTrue(printed.get("DjlTasks").startsWith("Match[text=a dog on a beach"), printed.get("DjlTasks"));
        assertEquals(3, printed.get("DjlTasks").lines().count(), printed.get("DjlTasks"));
        assertTrue(Files.isRegularFile(dir.resolve("index/manifest.json")), "the search snippet indexed photos/");
        try (BlipModel model = BlipModel.load(dir.resolve("blip2-pretrained"))) {
            String match = new dev.blip4j.models.matching.ImageTextMatcher(model).match(photo, "a dog on a beach")
                    .toString();
            assertEquals(match + "\n4 queries", printed.get("Blip2Matching").lines().limit(2)
                    .reduce((a, b) -> a + "\n" + b).orElseThrow(), printed.get("Blip2Matching"));
        }
        assertEquals(2 * 4, Files.readAllLines(dir.resolve("out/all.jsonl")).size(),
                "CapFilt: a web text and three captions for each of the two samples");
        try (BlipModel model = BlipModel.load(dir.resolve("model_base_nlvr.pth"))) {
            NlvrResult first = new NlvrClassifier(model).classify(dir.resolve("photos/dog.jpg"),
                    dir.resolve("photos/cat.jpg"), List.of("There are two animals in total.",
                    "The left image shows a cat.")).get(0); // the snippet's batch: padding is part of the numbers
            assertEquals(first.toString(), printed.get("Nlvr").lines().findFirst().orElseThrow());
        }
        try (BlipModel model = BlipModel.load(golden("retrieval/hf"))) {
            GradCam cam = new ItmGradCam(model, MatchOptions.defaults().withFirstToken(FirstToken.ENC),
                    ItmGradCam.defaultLayer(model)).explain(photo, "a dog on a beach").gradCam();
            assertEquals(cam.tokens() + " " + Path.of("maps", "photo.0.words.png"), printed.get("GradCamExample").strip());
            assertTrue(Files.isRegularFile(dir.resolve("maps/photo.0.words.png")));
        }
        assertTrue(!output.contains("SLF4J"), "no SLF4J notices: " + output);
    }

    /** What each example printed, by name, in order. */
    static Map<String, String> sections(String output) {
        Map<String, String> out = new LinkedHashMap<>();
        String name = null;
        StringBuilder text = new StringBuilder();
        for (String line : output.split("\\R")) {
            if (line.startsWith("=== ")) {
                if (name != null) {
                    out.put(name, text.toString());
                }
                name = line.substring(4);
                text.setLength(0);
            } else if (name != null) {
                text.append(line).append(File.separator.equals("/") ? "\n" : System.lineSeparator());
            }
        }
        if (name != null) {
            out.put(name, text.toString());
        }
        return out;
    }
}
