import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.net.HttpURLConnection;
import java.net.URL;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.functions.MapFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.connector.sink2.Sink;
import org.apache.flink.api.connector.sink2.SinkWriter;
import org.apache.flink.api.connector.sink2.WriterInitContext;
import org.apache.flink.api.connector.source.lib.NumberSequenceSource.NumberSequenceSplit;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiter;
import org.apache.flink.api.connector.source.util.ratelimit.RateLimiterStrategy;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.connector.datagen.source.GeneratorFunction;
import org.apache.flink.metrics.Counter;
import org.apache.flink.metrics.Gauge;
import org.apache.flink.metrics.MetricGroup;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.assigners.TumblingProcessingTimeWindows;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;
import org.apache.flink.util.ParameterTool;

/**
 * scaletui's workload: source -> parse -> expensive -> window -> sink, each its own vertex with a stable uid.
 *
 * <p>The source's total rate is read from a small file (records per second, written by the engine) or, on
 * Kubernetes, from an HTTP URL (the rate service, set by scaletui through the API server's proxy), every 100 ms in
 * the background, and split evenly over the source subtasks. Each record carries its event time (ms). Every edge but the
 * keyed one is a rebalance, so each operator can be rescaled on its own and stays evenly loaded.
 *
 * <p>End-to-end latency of a window result = the largest delay of its records on arrival at the window (arrival time
 * minus event time: queueing in source, parse and expensive) plus the time from the window's end to the sink. The
 * sink reports percentiles over the last window plus a second (at least two seconds) as gauges
 * e2eLatencyP50/P95/P99/Max (ms, NaN when no result arrived in that time) and a counter e2eLatencySamples.
 */
public final class WorkloadJob {

    public static void main(String[] args) throws Exception {
        ParameterTool params = ParameterTool.fromArgs(args);
        String rateUrl = params.get("rate-url", null);
        RateReader rateSource = rateUrl != null ? new UrlReader(rateUrl) : new FileReader(params.getRequired("rate-file"));
        double initialRate = params.getDouble("rate", 100.0);
        double costMs = params.getDouble("cost-ms", 2.0);
        double waitMs = params.getDouble("wait-ms", 0.0);
        long windowMs = params.getLong("window-ms", 5000L);
        int keys = params.getInt("keys", 64);
        int maxParallelism = params.getInt("max-parallelism", 32);
        long checkpointMs = params.getLong("checkpoint-ms", 0L);
        String jobName = params.get("name", "scaletui-workload");
        require(initialRate >= 0, "rate must be >= 0");
        require(costMs >= 0 && costMs <= 1000, "cost-ms must be between 0 and 1000");
        require(waitMs >= 0 && waitMs <= 1000, "wait-ms must be between 0 and 1000");
        require(windowMs > 0, "window-ms must be > 0");
        require(keys >= 1, "keys must be >= 1");
        require(maxParallelism >= 1, "max-parallelism must be >= 1");

        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
        env.setMaxParallelism(maxParallelism);
        if (checkpointMs > 0) {
            env.enableCheckpointing(checkpointMs);
        }

        DataGeneratorSource<String> generator = new DataGeneratorSource<>(
                new EventGenerator(keys), Long.MAX_VALUE, new FileRate(rateSource, initialRate), Types.STRING);
        DataStream<String> source = env.fromSource(generator, WatermarkStrategy.noWatermarks(), "source")
                .uid("source").name("source").setParallelism(parallelism(params, "source", maxParallelism))
                .disableChaining();
        DataStream<Event> parsed = source.rebalance().map(new Parse())
                .uid("parse").name("parse").setParallelism(parallelism(params, "parse", maxParallelism))
                .disableChaining();
        DataStream<Event> worked = parsed.rebalance().map(new Expensive(costMs, waitMs))
                .uid("expensive").name("expensive").setParallelism(parallelism(params, "expensive", maxParallelism))
                .disableChaining();
        DataStream<WindowResult> windowed = worked.keyBy(e -> e.key)
                .window(TumblingProcessingTimeWindows.of(Duration.ofMillis(windowMs)))
                .aggregate(new CountAndDelay(), new StampWindowEnd())
                .uid("window").name("window").setParallelism(parallelism(params, "window", maxParallelism))
                .disableChaining();
        windowed.rebalance().sinkTo(new LatencySink(Math.max(2000L, windowMs + 1000L)))
                .uid("sink").name("sink").setParallelism(parallelism(params, "sink", maxParallelism))
                .disableChaining();
        env.execute(jobName);
    }

    private static int parallelism(ParameterTool params, String operator, int maxParallelism) {
        int p = params.getInt("parallelism." + operator, 1);
        require(p >= 1 && p <= maxParallelism, "parallelism." + operator + " must be between 1 and max-parallelism");
        return p;
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    /** One parsed record; public fields so Flink treats it as a POJO. */
    public static final class Event {
        public long id;
        public int key;
        public long eventTime;

        public Event() {}

        Event(long id, int key, long eventTime) {
            this.id = id;
            this.key = key;
            this.eventTime = eventTime;
        }
    }

    /** The window's output: a key's record count, its records' largest delay on arrival, and the window's end. */
    public static final class WindowResult {
        public int key;
        public long count;
        public long maxDelayMs;
        public long windowEnd;

        public WindowResult() {}
    }

    /** Makes "id,key,eventTimeMs" lines; the event time is the moment the record is emitted. */
    static final class EventGenerator implements GeneratorFunction<Long, String> {
        private final int keys;

        EventGenerator(int keys) {
            this.keys = keys;
        }

        @Override
        public String map(Long index) {
            long key = Math.floorMod(index * 2654435761L, (long) keys);
            return index + "," + key + "," + System.currentTimeMillis();
        }
    }

    static final class Parse implements MapFunction<String, Event> {
        @Override
        public Event map(String line) {
            int a = line.indexOf(',');
            int b = line.indexOf(',', a + 1);
            return new Event(Long.parseLong(line.substring(0, a)), Integer.parseInt(line.substring(a + 1, b)),
                    Long.parseLong(line.substring(b + 1)));
        }
    }

    /**
     * Burns `costMs` of this thread's CPU time per record (CPU time, so a descheduled thread does not cheat), then
     * waits `waitMs` without using CPU, as an operator that calls an external service does: one subtask then takes at
     * most 1000 / (costMs + waitMs) records per second whatever the machine's other work, and looks busy to Flink.
     */
    static final class Expensive implements MapFunction<Event, Event> {
        private final long costNanos;
        private final long waitNanos;
        private transient ThreadMXBean threads;
        private long sink;

        Expensive(double costMs, double waitMs) {
            this.costNanos = (long) (costMs * 1_000_000L);
            this.waitNanos = (long) (waitMs * 1_000_000L);
        }

        @Override
        public Event map(Event event) {
            if (costNanos > 0) {
                if (threads == null) {
                    threads = ManagementFactory.getThreadMXBean();
                }
                long end = threads.getCurrentThreadCpuTime() + costNanos;
                long x = event.id;
                while (threads.getCurrentThreadCpuTime() < end) {
                    for (int i = 0; i < 256; i++) {
                        x = x * 6364136223846793005L + 1442695040888963407L;
                    }
                }
                sink += x;
            }
            if (waitNanos > 0) {
                long until = System.nanoTime() + waitNanos;
                long left = waitNanos;
                while (left > 0 && !Thread.currentThread().isInterrupted()) {  // a cancelled task stops waiting
                    LockSupport.parkNanos(left);
                    left = until - System.nanoTime();
                }
            }
            return event;
        }
    }

    static final class CountAndDelay implements AggregateFunction<Event, WindowResult, WindowResult> {
        @Override
        public WindowResult createAccumulator() {
            return new WindowResult();
        }

        @Override
        public WindowResult add(Event e, WindowResult acc) {
            acc.key = e.key;
            acc.count += 1;
            acc.maxDelayMs = Math.max(acc.maxDelayMs, System.currentTimeMillis() - e.eventTime);
            return acc;
        }

        @Override
        public WindowResult getResult(WindowResult acc) {
            return acc;
        }

        @Override
        public WindowResult merge(WindowResult a, WindowResult b) {
            a.count += b.count;
            a.maxDelayMs = Math.max(a.maxDelayMs, b.maxDelayMs);
            return a;
        }
    }

    static final class StampWindowEnd extends ProcessWindowFunction<WindowResult, WindowResult, Integer, TimeWindow> {
        @Override
        public void process(Integer key, Context context, Iterable<WindowResult> results, Collector<WindowResult> out) {
            for (WindowResult result : results) {
                result.windowEnd = context.window().getEnd();
                out.collect(result);
            }
        }
    }

    /** Where the total rate is read from: its text is one number of records per second. */
    interface RateReader extends Serializable {
        String read() throws IOException;
    }

    static final class FileReader implements RateReader {
        private final String path;

        FileReader(String path) {
            this.path = path;
        }

        @Override
        public String read() throws IOException {
            Path file = Paths.get(path);
            return new String(Files.readAllBytes(file), StandardCharsets.UTF_8);
        }
    }

    static final class UrlReader implements RateReader {
        private final String url;

        UrlReader(String url) {
            this.url = url;
        }

        @Override
        public String read() throws IOException {
            HttpURLConnection connection = (HttpURLConnection) new URL(url).openConnection();
            connection.setConnectTimeout(1000);
            connection.setReadTimeout(1000);
            try (InputStream in = connection.getInputStream()) {
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } finally {
                connection.disconnect();
            }
        }
    }

    /** Token-bucket limiter whose total rate comes from a RateReader polled every 100 ms. */
    static final class FileRate implements RateLimiterStrategy<NumberSequenceSplit> {
        private final RateReader source;
        private final double initialRate;

        FileRate(RateReader source, double initialRate) {
            this.source = source;
            this.initialRate = initialRate;
        }

        @Override
        public RateLimiter<NumberSequenceSplit> createRateLimiter(int parallelism) {
            return new FileRateLimiter(source, initialRate, parallelism);
        }
    }

    static final class FileRateLimiter implements RateLimiter<NumberSequenceSplit> {
        private static final long REFRESH_NANOS = 100_000_000L;
        private static final long CATCH_UP_NANOS = 100_000_000L;
        private static final long MIN_SLEEP_NANOS = 1_000_000L;
        private static final CompletableFuture<Void> NOW = CompletableFuture.completedFuture(null);

        private final RateReader source;
        private final int parallelism;
        private final ScheduledExecutorService timer;
        private volatile double totalRate;
        private long lastRead;
        private long nextFree = System.nanoTime();

        FileRateLimiter(RateReader source, double initialRate, int parallelism) {
            this.source = source;
            this.parallelism = Math.max(1, parallelism);
            this.totalRate = initialRate;
            this.timer = Executors.newScheduledThreadPool(2, r -> {
                Thread t = new Thread(r, "scaletui-rate-limiter");
                t.setDaemon(true);
                return t;
            });
            refresh();
            this.lastRead = System.nanoTime();
        }

        /** Runs on the timer, off the records' path, so a slow rate service never stalls the source; reads stop
         * when the limiter is no longer used (a rescale replaced it). */
        private void refresh() {
            try {
                double value = Double.parseDouble(source.read().trim());
                if (value >= 0 && !Double.isInfinite(value)) {
                    totalRate = value;
                }
            } catch (IOException | RuntimeException e) {
                // keep the last good rate: the engine may be replacing the file, the service may be restarting
            }
        }

        private synchronized double perSubtask() {
            long now = System.nanoTime();
            if (now - lastRead >= REFRESH_NANOS) {
                lastRead = now;
                timer.execute(this::refresh);
            }
            return totalRate / parallelism;
        }

        @Override
        public synchronized CompletionStage<Void> acquire(int permits) {
            double rate = perSubtask();
            if (rate <= 0) {
                CompletableFuture<Void> later = new CompletableFuture<>();
                timer.schedule(() -> retry(later, permits), REFRESH_NANOS, TimeUnit.NANOSECONDS);
                return later;
            }
            long now = System.nanoTime();
            nextFree = Math.max(nextFree, now - CATCH_UP_NANOS);
            long wait = nextFree - now;
            nextFree += (long) (1e9 * permits / rate);
            if (wait < MIN_SLEEP_NANOS) {
                return NOW;
            }
            CompletableFuture<Void> later = new CompletableFuture<>();
            timer.schedule(() -> later.complete(null), wait, TimeUnit.NANOSECONDS);
            return later;
        }

        private void retry(CompletableFuture<Void> later, int permits) {
            acquire(permits).thenRun(() -> later.complete(null));
        }
    }

    /** Measures each window result's end-to-end latency (see the class comment) and exports percentiles. */
    static final class LatencySink implements Sink<WindowResult> {
        private final long horizonMs;

        LatencySink(long horizonMs) {
            this.horizonMs = horizonMs;
        }

        @Override
        public SinkWriter<WindowResult> createWriter(WriterInitContext context) {
            return new LatencyWriter(context.metricGroup(), horizonMs);
        }
    }

    static final class LatencyWriter implements SinkWriter<WindowResult> {
        private static final int MAX_SAMPLES = 100_000;

        private final ArrayDeque<long[]> samples = new ArrayDeque<>();
        private final Counter count;
        private final long horizonMs;

        LatencyWriter(MetricGroup metrics, long horizonMs) {
            this.horizonMs = horizonMs;
            count = metrics.counter("e2eLatencySamples");
            metrics.gauge("e2eLatencyP50", (Gauge<Double>) () -> percentile(0.50));
            metrics.gauge("e2eLatencyP95", (Gauge<Double>) () -> percentile(0.95));
            metrics.gauge("e2eLatencyP99", (Gauge<Double>) () -> percentile(0.99));
            metrics.gauge("e2eLatencyMax", (Gauge<Double>) () -> percentile(1.0));
        }

        @Override
        public void write(WindowResult result, Context context) {
            long now = System.currentTimeMillis();
            synchronized (samples) {
                long latency = Math.max(0L, result.maxDelayMs) + Math.max(0L, now - result.windowEnd);
                samples.addLast(new long[] {now, latency});
                while (samples.size() > MAX_SAMPLES) {
                    samples.removeFirst();
                }
            }
            count.inc();
        }

        private double percentile(double q) {
            long[] values;
            synchronized (samples) {
                long cutoff = System.currentTimeMillis() - horizonMs;
                while (!samples.isEmpty() && samples.peekFirst()[0] < cutoff) {
                    samples.removeFirst();
                }
                values = samples.stream().mapToLong(s -> s[1]).toArray();
            }
            if (values.length == 0) {
                return Double.NaN;
            }
            Arrays.sort(values);
            int index = (int) Math.ceil(q * values.length) - 1;
            return values[Math.max(0, Math.min(values.length - 1, index))];
        }

        @Override
        public void flush(boolean endOfInput) {}

        @Override
        public void close() {}
    }
}
