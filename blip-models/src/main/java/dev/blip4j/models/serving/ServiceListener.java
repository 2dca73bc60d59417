package dev.blip4j.models.serving;

/** What a {@link BlipService} tells about its batches, for metrics. Called on the service's thread. */
public interface ServiceListener {

    ServiceListener NONE = new ServiceListener() {};

    /** Where a batch ran. */
    enum Stage {
        /** Preprocessing and the ViT: images of one window. */
        ENCODE,
        /** One decoder step: rows of every request decoding. */
        DECODE
    }

    /**
     * @param size images (encode) or decoder rows (decode)
     * @param requests requests the batch served
     */
    default void onBatch(Stage stage, int size, int requests) {}
}
