// After the consumer's build: the program ran, captioned the golden image as the official code does
// (through the task API and through DJL), and nothing printed SLF4J's "no provider" notices.
import groovy.json.JsonSlurper

def run = new File(basedir, 'target/run.txt').text
def golden = new JsonSlurper().parse(new File(goldenDir, 'caption/expected.json'))
def expected = golden.results.beam.captions[0]
assert run.contains('caption: ' + expected + '\n') : run
assert run.contains('djl: ' + expected + '\n') : run
assert !run.contains('SLF4J') : 'SLF4J notices in the program output:\n' + run
return true
