// Every command module, registered in the order `cairn --help` lists them. One line per command:
// add yours with a one-line edit.
import type { Command } from 'commander';
import type { CommandContext } from '../context.js';

export type Register = (program: Command, ctx: CommandContext) => void;

export const COMMANDS: Promise<{ register: Register }>[] = [
  import('./init.js'),
  import('./add.js'),
  import('./rm.js'),
  import('./commit.js'),
  import('./snapshot.js'),
  import('./status.js'),
  import('./diff.js'),
  import('./fsck.js'),
  import('./count-objects.js'),
  import('./log.js'),
  import('./reflog.js'),
  import('./show.js'),
  import('./cat.js'),
  import('./ls.js'),
  import('./branch.js'),
  import('./tag.js'),
  import('./config.js'),
  import('./rev-parse.js'),
  import('./switch.js'),
  import('./checkout.js'),
  import('./restore.js'),
  import('./reset.js'),
  import('./export.js'),
  import('./merge.js'),
  import('./merge-base.js'),
  import('./conflicts.js'),
  import('./resolve.js'),
  import('./merge-file.js'),
  import('./remote.js'),
  import('./serve.js'),
  import('./clone.js'),
  import('./fetch.js'),
  import('./push.js'),
  import('./pull.js'),
];
