// Progress reports from long operations; the CLI renders them (ops never print).
export interface ProgressEvent {
  phase: string;
  done: number;
  total?: number;
  unit?: 'files' | 'bytes' | 'objects';
  /** Bytes moved so far, when the work counts something else (objects) but moves data too. */
  bytes?: number;
}

export type ProgressFn = (e: ProgressEvent) => void;
