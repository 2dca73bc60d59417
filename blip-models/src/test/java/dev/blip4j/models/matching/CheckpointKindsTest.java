package dev.blip4j.models.matching;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.blip4j.core.BlipKind;
import dev.blip4j.core.ModelException;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.checkpoint.Layout;
import dev.blip4j.models.checkpoint.SafeTensors;
import dev.blip4j.models.checkpoint.TensorData;
import dev.blip4j.models.checkpoint.TorchCheckpoint;
import dev.blip4j.models.image.RgbImage;
import dev.blip4j.models.testing.Golden;
import dev.blip4j.models.testing.GoldenModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which checkpoints can match: ITM, retrieval and pre-trained ones; the others are refused by what they lack. */
class CheckpointKindsTest {

    /**
     * A pre-trained-style checkpoint (every head: text encoder, ITC, ITM and a text decoder) made of
     * the retrieval golden's weights plus the caption golden's decoder: matching must ignore the
     * decoder and give exactly the retrieval goldens.
     */
    @Test
    void preTrainedCheckpointWithEveryHead(@TempDir Path tmp) throws IOException {
        Golden retrieval = Golden.of("retrieval");
        Map<String, TensorData> tensors = new LinkedHashMap<>(TorchCheckpoint.read(retrieval.original()).tensors());
        TorchCheckpoint.read(Golden.of("caption").original()).tensors().forEach((k, v) -> {
            if (k.startsWith("text_decoder.")) {
                tensors.put(k, v);
            }
        });
        SafeTensors.write(tmp.resolve("model.safetensors"), tensors, Map.of());
        for (String config : List.of("blip_config.json", "med_config.json")) {
            Files.copy(retrieval.original().resolveSibling(config), tmp.resolve(config));
        }
        try (BlipModel model = BlipModel.builder(tmp.resolve("model.safetensors"))
                .tokenizer(Golden.root().resolve("tokenizer/vocab.txt")).load()) {
            assertTrue(model.network().config().kinds().contains(BlipKind.PRETRAIN), model.network().config().kinds().toString());
            assertTrue(model.network().hasDecoder());
            MatchMatrix got = new ImageTextMatcher(model, MatchOptions.defaults().withFirstToken(FirstToken.ENC))
                    .match(GoldenModels.images(model), GoldenModels.captions(retrieval));
            retrieval.assertClose("itm_probs", got.itm().values(), 3, 4);
            retrieval.assertClose("itc_sim", got.itc().values(), 3, 4);
        }
    }

    @Test
    void checkpointsWithoutTheHeadsAreRefusedByWhatTheyLack() {
        Map<String, String> lacks = Map.of("caption", "text encoder", "feature_extractor", "vision_proj",
                "vqa", "vision_proj");
        for (Map.Entry<String, String> e : lacks.entrySet()) {
            for (Layout layout : Layout.values()) {
                try (BlipModel model = GoldenModels.load(Golden.of(e.getKey()), layout)) {
                    ModelException x = assertThrows(ModelException.class, () -> new ImageTextMatcher(model));
                    assertTrue(x.getMessage().contains(e.getValue()), e.getKey() + ": " + x.getMessage());
                    assertTrue(x.getMessage().contains(model.info().weights().getFileName().toString()), x.getMessage());
                }
            }
        }
    }

    @Test
    void emptyTextsAndBlankTextsMatchAlike() {
        try (BlipModel model = GoldenModels.load(Golden.of("itm"), Layout.HUGGINGFACE)) {
            ImageTextMatcher matcher = new ImageTextMatcher(model);
            List<Match> got = matcher.match(Golden.image(1), List.of("", "   "));
            assertEquals(got.get(0).itm(), got.get(1).itm(), 1e-7);
            assertEquals(got.get(0).itc(), got.get(1).itc(), 1e-7);
            assertTrue(got.get(0).itm() > 0 && got.get(0).itm() < 1);
            assertEquals(List.of(), matcher.match(Golden.image(1), List.of()));
            assertEquals(0, matcher.match(List.<RgbImage>of(), List.of("a cat")).images());
        }
    }
}
