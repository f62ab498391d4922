// `cairn tag`: list tags, create one (NAME [REV], -f to move it), delete (-d NAME).
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import { refWho, resolveAuthor } from '../../ops/identity.js';
import { createTag, deleteTag, listTags } from '../../ops/tag.js';
import { printJson, type CommandContext } from '../context.js';
import { shortId } from '../format.js';
import { repoAction } from '../repo-action.js';

interface TagFlags {
  delete?: boolean;
  force?: boolean;
  json?: boolean;
}

export function register(program: Command, ctx: CommandContext): void {
  program
    .command('tag')
    .description('list tags, or name a commit with a tag (a fixed, lightweight ref)')
    .argument('[name]', 'tag to create (or delete with -d)')
    .argument('[rev]', 'commit to tag (default HEAD)')
    .option('-d, --delete', 'delete the tag')
    .option('-f, --force', 'move the tag if it already exists')
    .option('--json', 'print the result as JSON (one object per line when listing)')
    .addHelpText(
      'after',
      `
Examples:
  $ cairn tag v1                    # tag HEAD
  $ cairn tag v0.9 main~3
  $ cairn tag -d v0.9`,
    )
    .action(
      repoAction(ctx, ({ repo }, name: string | undefined, rev: string | undefined, opts: TagFlags) => {
        if (name === undefined) {
          if (opts.delete) throw new UsageError('tag -d needs the name of the tag to delete');
          for (const t of listTags(repo)) {
            if (opts.json) printJson(ctx, t);
            else ctx.out.write(`${t.name}\n`);
          }
          return;
        }
        const who = refWho(resolveAuthor(repo, ctx.env));
        if (opts.delete) {
          if (rev !== undefined) throw new UsageError('tag -d takes only the tag name');
          const res = deleteTag(repo, name, { who });
          if (opts.json) printJson(ctx, { deleted: res.name, id: res.id });
          else ctx.out.write(`Deleted tag '${res.name}' (was ${shortId(res.id)})\n`);
          return;
        }
        const res = createTag(repo, name, { who, rev, force: opts.force === true });
        if (opts.json) printJson(ctx, res);
        else if (res.previous !== null && res.previous !== res.id)
          ctx.out.write(`Updated tag '${res.name}' (was ${shortId(res.previous)})\n`);
        else if (res.previous === null) ctx.out.write(`Created tag '${res.name}' at ${shortId(res.id)}\n`);
      }),
    );
}
