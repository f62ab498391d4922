// Writing long output (log, cat) with backpressure: wait for 'drain' instead of buffering a whole
// history or file in memory, and stop quietly when the reader goes away (`cairn log | head`).
import { once } from 'node:events';
import type { CommandContext } from './context.js';

export class StreamOut {
  private gone = false;
  private failure: Error | undefined;

  constructor(private readonly out: CommandContext['out']) {
    // Stays attached: an EPIPE can be reported after the last write, when no one awaits it.
    out.on('error', (err: NodeJS.ErrnoException) => {
      if (!isReaderGone(err)) this.failure ??= err;
      this.gone = true;
    });
  }

  /** True once the reader has closed the pipe: callers stop producing output. */
  get closed(): boolean {
    return this.gone;
  }

  /** Writes and, when the stream's buffer is full, waits for it to drain. False once the reader is gone. */
  async write(chunk: string | Uint8Array): Promise<boolean> {
    if (!this.gone && !this.out.write(chunk)) {
      try {
        await once(this.out, 'drain');
      } catch (err) {
        if (!isReaderGone(err as NodeJS.ErrnoException)) this.failure ??= err as Error;
        this.gone = true;
      }
    }
    // A full disk or a broken terminal is an error the user must see; a closed pipe is not.
    if (this.failure !== undefined) throw this.failure;
    return !this.gone;
  }
}

function isReaderGone(err: NodeJS.ErrnoException): boolean {
  return err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED';
}
