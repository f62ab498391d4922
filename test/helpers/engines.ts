// Where the real engines of the server backends answer in tests: PostgreSQL 15 and Ceph radosgw on
// 127.0.0.1, started by scripts/services.sh (test/helpers/engines-setup.ts runs it once per vitest
// run when they are not already up), plus the nginx binary for load-balancer tests.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface Engines {
  pgUrl: string;
  s3Endpoint: string;
  s3AccessKey: string;
  s3SecretKey: string;
  nginx: string;
}

export const SERVICES_DIR = process.env['CAIRN_SERVICES_DIR'] ?? '/tmp/cairn-services';

/** The engines' settings from scripts/services.sh's env file; throws saying how to start them. */
export function engines(): Engines {
  const file = join(SERVICES_DIR, 'env');
  if (!existsSync(file))
    throw new Error(`no ${file}: start the engines with 'bash scripts/services.sh start' (as root, or after its install)`);
  const env = new Map(
    readFileSync(file, 'utf8')
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)] as const),
  );
  const get = (k: string): string => {
    const v = env.get(k);
    if (v === undefined || v === '') throw new Error(`${file} has no ${k}: run 'bash scripts/services.sh start' again`);
    return v;
  };
  return {
    pgUrl: get('CAIRN_TEST_PG_URL'),
    s3Endpoint: get('CAIRN_TEST_S3_ENDPOINT'),
    s3AccessKey: get('CAIRN_TEST_S3_ACCESS_KEY'),
    s3SecretKey: get('CAIRN_TEST_S3_SECRET_KEY'),
    nginx: get('CAIRN_TEST_NGINX'),
  };
}
