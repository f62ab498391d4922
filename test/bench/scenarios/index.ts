// The scenarios, by name.
import type { ScenarioName } from '../config.js';
import type { Bench } from '../context.js';
import type { ScenarioReport } from '../report.js';
import * as checkoutFresh from './checkout-fresh.js';
import * as editJsonl from './edit-jsonl.js';
import * as largeCommit from './large-commit.js';
import * as mergeCorpus from './merge-corpus.js';
import * as mergeLarge from './merge-large.js';
import * as peakRss from './peak-rss.js';
import * as scaleAbsent from './scale-absent.js';
import * as scaleClone from './scale-clone.js';
import * as scalePush from './scale-push.js';
import * as smallFiles from './small-files.js';
import * as statusClean from './status-clean.js';
import * as syncCloneLarge from './sync-clone-large.js';
import * as syncCloneSmall from './sync-clone-small.js';
import * as syncEditWire from './sync-edit-wire.js';
import * as syncNoopFetch from './sync-noop-fetch.js';
import * as syncResume from './sync-resume.js';

export interface Scenario {
  title: string;
  run(b: Bench, rep: ScenarioReport): Promise<void>;
}

export const scenarios: Record<ScenarioName, Scenario> = {
  'small-files': smallFiles,
  'status-clean': statusClean,
  'checkout-fresh': checkoutFresh,
  'large-commit': largeCommit,
  'edit-jsonl': editJsonl,
  'peak-rss': peakRss,
  'merge-large': mergeLarge,
  'merge-corpus': mergeCorpus,
  'sync-clone-small': syncCloneSmall,
  'sync-clone-large': syncCloneLarge,
  'sync-edit-wire': syncEditWire,
  'sync-noop-fetch': syncNoopFetch,
  'sync-resume': syncResume,
  'scale-push': scalePush,
  'scale-clone': scaleClone,
  'scale-absent': scaleAbsent,
};
