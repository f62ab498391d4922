// Repository configuration: flat dotted keys (`user.name`, `core.compression`) in SQLite.
import { writeTransaction, type Db } from './database.js';

export class ConfigStore {
  constructor(private readonly db: Db) {}

  get(key: string): string | undefined {
    return (this.db.prepare('SELECT value FROM config WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  set(key: string, value: string): void {
    writeTransaction(this.db, () => {
      this.db
        .prepare('INSERT INTO config (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value')
        .run(key, value);
    });
  }

  unset(key: string): boolean {
    return writeTransaction(this.db, () => this.db.prepare('DELETE FROM config WHERE key = ?').run(key).changes > 0);
  }

  list(): { key: string; value: string }[] {
    return this.db.prepare('SELECT key, value FROM config ORDER BY key').all() as { key: string; value: string }[];
  }
}
