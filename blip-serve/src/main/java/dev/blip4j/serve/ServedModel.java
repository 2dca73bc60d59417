package dev.blip4j.serve;

import dev.blip4j.core.Blip;
import dev.blip4j.core.BlipKind;
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.serving.BlipService;

/**
 * A model the server answers with, its batching service, and what it can do.
 *
 * @param owned whether the server loaded it (and closes it)
 */
record ServedModel(String name, BlipModel model, BlipService service, boolean owned, double loadSeconds) {

    boolean captions() {
        Blip net = model.network();
        return net.hasDecoder() && !net.config().kinds().contains(BlipKind.VQA) && (!net.hasEncoder() || net.hasItm());
    }

    boolean matches() {
        Blip net = model.network();
        return net.hasEncoder() && net.hasItm() && net.hasItc()
                && net.hasMultimodalEncoder();
    }

    boolean answers() {
        return model.network().config().kinds().contains(BlipKind.VQA);
    }

    boolean embeds() {
        Blip net = model.network();
        return net.hasEncoder() && net.hasItc();
    }
}
