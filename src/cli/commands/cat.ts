// `cairn cat REV:PATH`: a committed file's bytes on stdout, streamed chunk by chunk from the store;
// the worktree is never read. A symlink prints its target.
import type { Command } from 'commander';
import { resolveFile } from '../../ops/ls.js';
import type { Repository } from '../../store/repository.js';
import { fileContent } from '../../store/typed-objects.js';
import type { CommandContext } from '../context.js';
import { repoAction } from '../repo-action.js';
import { StreamOut } from '../stream-out.js';

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('cat')
    .description("print a committed file's content (REV:PATH) without touching the worktree")
    .argument('<rev:path>', 'e.g. HEAD:data/users.json, v1:a.csv, :a.csv (HEAD)')
    .addHelpText(
      'after',
      `
Large files stream in chunks, each verified against its id; memory stays small. A folder is an
error: list it with 'cairn ls'.

Example:
  $ cairn cat main~2:data/users.csv > users-old.csv`,
    )
    .action(repoAction(ctx, ({ repo }, spec: string) => catFile(ctx, repo, spec)));
}

/** Streams the file at "REV:PATH" to ctx.out, waiting for the reader between chunks. */
export async function catFile(ctx: CommandContext, repo: Repository, spec: string): Promise<void> {
  const { entry } = resolveFile(repo, spec);
  const out = new StreamOut(ctx.out);
  for (const chunk of fileContent(repo.objects, entry.id)) {
    if (!(await out.write(chunk))) break;
  }
}
