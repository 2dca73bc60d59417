package dev.blip4j.examples;

// tag::capfilt[]
import dev.blip4j.capfilt.CandidateRow;
import dev.blip4j.capfilt.CapFilt;
import dev.blip4j.capfilt.CapFiltListener;
import dev.blip4j.capfilt.CapFiltOptions;
import dev.blip4j.capfilt.CapFiltRun;
import dev.blip4j.capfilt.Sample;
import dev.blip4j.models.BlipModel;
import java.nio.file.Path;
import java.util.List;
// end::capfilt[]

/** The README's CapFilt snippet: a resumable run over JSON Lines, and one batch as a Spark partition runs it. */
public final class CapFiltExample {

    private CapFiltExample() {}

    public static void main(String[] args) {
        // tag::capfilt[]
        try (BlipModel cap = BlipModel.load(Path.of("blip-image-captioning-base"));
                BlipModel itm = BlipModel.load(Path.of("blip-itm-base-coco"))) {
            CapFiltOptions o = CapFiltOptions.defaults().withNumCaptions(3);   // nucleus 0.9, rep. 1.1, >= 0.5, [ENC]
            CapFiltRun.Result r = new CapFiltRun(cap, itm, o)                  // resumable: run again to continue
                    .run(List.of(Path.of("pairs.jsonl")), Path.of("out"), CapFiltListener.NONE);
            List<Sample> batch = List.of(Sample.of("k1", "photo.jpg", "a dog on a beach"));
            List<CandidateRow> rows = new CapFilt(cap, itm, o).process(batch);  // what a Spark partition runs
            System.out.println(r.summary().kept(CandidateRow.Source.WEB) + " " + rows.size());
        }
        // end::capfilt[]
    }
}
