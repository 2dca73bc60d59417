// After the consumer's build: run its program on the class path Maven resolved from blip4j's POMs (a
// dependency missing there fails here), in a JVM of its own as an application would start. It must
// caption the golden image as the official code does, through the task API and through DJL, and
// print no SLF4J "no providers" notice.
import groovy.json.JsonSlurper

def classPath = new File(basedir, 'target/classes').path + File.pathSeparator +
        new File(basedir, 'target/classpath.txt').text.trim()
def java = new File(System.getProperty('java.home'), 'bin/java').path
def process = [java, '-cp', classPath, 'consumer.Main', model, image].execute()
def output = new StringBuilder()
process.consumeProcessOutput(output, output)
assert process.waitFor() == 0 : output
def run = output.toString().replace('\r\n', '\n')
new File(basedir, 'target/run.txt').text = run

def golden = new JsonSlurper().parse(new File(goldenDir, 'caption/expected.json'))
def expected = golden.results.beam.captions[0]
assert run.contains('caption: ' + expected + '\n') : run
assert run.contains('djl: ' + expected + '\n') : run
assert !run.contains('SLF4J') : 'SLF4J notices in the program output:\n' + run
return true
