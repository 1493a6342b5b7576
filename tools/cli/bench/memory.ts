import { getHeapStatistics } from 'node:v8';

/**
 * Peak memory during one phase, sampled periodically (a peak between samples may be missed). Heap is this thread's
 * V8 heap (a worker has its own); RSS is the whole process's.
 */
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
    this.baselineHeap = getHeapStatistics().used_heap_size;
    this.peakRss = process.memoryUsage.rss();
    this.peakHeap = this.baselineHeap;
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
    this.peakRss = Math.max(this.peakRss, process.memoryUsage.rss());
    this.peakHeap = Math.max(this.peakHeap, getHeapStatistics().used_heap_size);
  }
}
