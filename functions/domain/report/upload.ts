/**
 * Writes a text of any length through a multipart upload at constant memory: the text arrives in pieces, is
 * gathered into parts of `UPLOAD_PART_BYTES` (S3 refuses a part under 5 MiB unless it is the last) and each full part
 * is uploaded while the next one fills. At most two parts are held: the one filling and the one uploading (three
 * when the first part is held back, see `holdFirstPart`).
 */
import type { ReportUpload } from '../ports';

/** S3's smallest part but the last ("Part size 5 MiB to 5 GiB"), so the parts are as small as S3 allows. */
export const UPLOAD_PART_BYTES = 5 * 1024 * 1024;
/** S3's part numbers run from 1 to 10,000: 10,000 parts of 5 MiB are about 48 GiB, far above any report. */
export const MAX_UPLOAD_PARTS = 10_000;

export interface PartWriterOptions {
  /**
   * Keep the first part back until `finish`, which puts its `head` before it: for a file whose beginning depends on
   * what follows (report.json starts with the row count). Default: false.
   */
  readonly holdFirstPart?: boolean;
}

export class PartWriter {
  private pieces: string[] = [];
  private pendingBytes = 0;
  private nextPartNumber: number;
  private heldFirstPart?: Buffer;
  private uploading: Promise<void> = Promise.resolve();

  constructor(
    private readonly upload: ReportUpload,
    private readonly options: PartWriterOptions = {},
  ) {
    this.nextPartNumber = options.holdFirstPart ? 2 : 1;
  }

  /** Adds text; resolves once it is buffered (waiting for the previous part's upload when a part is full). */
  async write(text: string): Promise<void> {
    this.pieces.push(text);
    this.pendingBytes += Buffer.byteLength(text, 'utf8');
    if (this.pendingBytes >= UPLOAD_PART_BYTES) await this.flush();
  }

  /** Uploads what is left (with `head` first when the first part was held back) and completes the upload. */
  async finish(head = ''): Promise<void> {
    const rest = this.take();
    await this.uploading;
    if (!this.options.holdFirstPart) {
      if (rest.length > 0 || this.nextPartNumber === 1) await this.send(this.nextPartNumber, rest);
    } else if (this.nextPartNumber === 2) {
      // Nothing went out yet: everything is the first and only part.
      await this.send(1, Buffer.concat([Buffer.from(head, 'utf8'), this.heldFirstPart ?? Buffer.alloc(0), rest]));
    } else {
      if (rest.length > 0) await this.send(this.nextPartNumber, rest);
      await this.send(1, Buffer.concat([Buffer.from(head, 'utf8'), this.heldFirstPart ?? Buffer.alloc(0)]));
    }
    await this.upload.complete();
  }

  private async flush(): Promise<void> {
    const body = this.take();
    if (this.options.holdFirstPart && this.heldFirstPart === undefined) {
      this.heldFirstPart = body;
      return;
    }
    await this.uploading;
    const partNumber = this.nextPartNumber;
    this.nextPartNumber += 1;
    this.uploading = this.send(partNumber, body);
    // A failed upload is reported by the next write or by finish; until then it must not count as unhandled.
    this.uploading.catch(() => undefined);
  }

  private take(): Buffer {
    const body = Buffer.from(this.pieces.join(''), 'utf8');
    this.pieces = [];
    this.pendingBytes = 0;
    return body;
  }

  private send(partNumber: number, body: Buffer): Promise<void> {
    if (partNumber > MAX_UPLOAD_PARTS) return Promise.reject(new RangeError(`a report file needs more than ${MAX_UPLOAD_PARTS} parts`));
    return this.upload.uploadPart(partNumber, body);
  }
}
