/** Peak memory of the process during one phase, sampled periodically (a peak between samples may be missed). */
export interface MemoryPeak {
  readonly peakRssBytes: number;
  readonly peakHeapBytes: number;
  /** Heap in use when the phase began: the simulator's catalog and whatever earlier phases left. */
  readonly baselineHeapBytes: number;
}

const SAMPLE_INTERVAL_MS = 25;

export class MemorySampler {
  private peakRss = 0;
  private peakHeap = 0;
  private baselineHeap = 0;
  private timer: NodeJS.Timeout | undefined;

  /** Starts a phase: peaks are reset and sampled until `stop`. */
  start(): void {
    this.stop();
    const { rss, heapUsed } = process.memoryUsage();
    this.baselineHeap = heapUsed;
    this.peakRss = rss;
    this.peakHeap = heapUsed;
    this.timer = setInterval(() => this.sample(), SAMPLE_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): MemoryPeak {
    if (this.timer) {
      this.sample();
      clearInterval(this.timer);
      this.timer = undefined;
    }
    return { peakRssBytes: this.peakRss, peakHeapBytes: this.peakHeap, baselineHeapBytes: this.baselineHeap };
  }

  private sample(): void {
    const { rss, heapUsed } = process.memoryUsage();
    this.peakRss = Math.max(this.peakRss, rss);
    this.peakHeap = Math.max(this.peakHeap, heapUsed);
  }
}
