// Size limits that are part of the format (docs/FORMAT.md §5, §7), in one place for every writer.

/** Files up to this size are stored inline in their `file` object; larger ones are chunked. */
export const INLINE_MAX = 16 * 1024;
