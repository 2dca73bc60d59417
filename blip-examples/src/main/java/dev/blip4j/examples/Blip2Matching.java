package dev.blip4j.examples;

// tag::blip2[]
import dev.blip4j.models.BlipModel;
import dev.blip4j.models.features.FeatureExtractor;
import dev.blip4j.models.features.ImageFeatures;
import dev.blip4j.models.matching.ImageTextMatcher;
import dev.blip4j.models.matching.Match;
import dev.blip4j.models.retrieval.GalleryIndex;
import dev.blip4j.models.retrieval.GalleryIndexer;
import dev.blip4j.models.retrieval.ImageRetriever;
import dev.blip4j.models.retrieval.IndexListener;
import dev.blip4j.models.retrieval.SearchHit;
import dev.blip4j.models.retrieval.SearchOptions;
import java.nio.file.Path;
import java.util.List;
// end::blip2[]

/** The README's BLIP-2 snippet: matching, features and search with a BLIP-2 first stage. */
public final class Blip2Matching {

    private Blip2Matching() {}

    public static void main(String[] args) {
        // tag::blip2[]
        // A folder with LAVIS's blip2_pretrained.pth and eva_vit_g.pth, or Salesforce/blip2-itm-vit-g
        try (BlipModel model = BlipModel.load(Path.of("blip2-pretrained"))) {
            Match m = new ImageTextMatcher(model).match(Path.of("photo.jpg"), "a dog on a beach"); // m.itm(), m.itc()
            ImageFeatures f = new FeatureExtractor(model).image(Path.of("photo.jpg")); // f.queries(), f.queryEmbeddings()
            new GalleryIndexer(model).build(Path.of("index2"), Path.of("photos"), IndexListener.NONE); // every query kept
            List<SearchHit> hits = new ImageRetriever(model, GalleryIndex.open(Path.of("index2")))
                    .search("a dog", SearchOptions.defaults().withK(10).withRerank(32)).hits(); // query-max ITC, then ITM
            System.out.println(m + "\n" + f.queryCount() + " queries\n" + hits.get(0));
        }
        // end::blip2[]
    }
}
