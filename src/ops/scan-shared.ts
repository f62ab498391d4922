// Constants shared by the worktree scanner and its worker thread.

// Names made only of these characters need no further checks (the common case, kept cheap).
export const SAFE_NAME = /^(?!\.\.?$)(?!\.cairn$)[A-Za-z0-9._+=,@ -]{1,255}$/i;

export const KIND_CODES = { file: 0, exec: 1, symlink: 2 } as const;
export const KIND_NAMES = ['file', 'exec', 'symlink'] as const;
