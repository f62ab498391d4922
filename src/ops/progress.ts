// Progress reports from long operations; the CLI renders them (ops never print).
export interface ProgressEvent {
  phase: string;
  done: number;
  total?: number;
  unit?: 'files' | 'bytes' | 'objects';
}

export type ProgressFn = (e: ProgressEvent) => void;
