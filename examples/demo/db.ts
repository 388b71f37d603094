// The demo's own tables, next to the gate's table in the same SQLite file:
// companies, users (with scrypt password hashes), a key-value table for the
// keys the demo generates on first start, and the outbox of notifications.
import { randomBytes, scrypt, scryptSync, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import type Database from 'better-sqlite3';

/** A company and whether it requires 2-step verification of its users. */
export interface Company {
  readonly id: string;
  readonly name: string;
  readonly requires2fa: boolean;
}

/** A demo user, as the app and the gate's Directory see them. */
export interface User {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly companyId: string;
  readonly isAdmin: boolean;
}

/** One message the notifier wrote for someone (the demo's stand-in for mail). */
export interface OutboxMessage {
  readonly at: number;
  readonly recipient: string;
  readonly type: string;
  readonly userId: string;
  readonly text: string;
}

/** The seeded companies: one requires 2-step verification, one leaves it to each user. */
export const COMPANIES: readonly Company[] = [
  { id: 'acme', name: 'Acme Corp', requires2fa: true },
  { id: 'globex', name: 'Globex', requires2fa: false },
];

/**
 * The seeded users. Their passwords are printed on start and shown on the
 * login page (it is a demo); only scrypt hashes are stored.
 */
export const SEED_USERS: readonly (User & { readonly password: string })[] = [
  { id: 'alice', name: 'Alice Adams', email: 'alice@acme.example', companyId: 'acme', isAdmin: false, password: 'alice-demo' },
  { id: 'bob', name: 'Bob Brown', email: 'bob@acme.example', companyId: 'acme', isAdmin: false, password: 'bob-demo' },
  { id: 'ruth', name: 'Ruth Root', email: 'ruth@acme.example', companyId: 'acme', isAdmin: true, password: 'ruth-demo' },
  { id: 'sam', name: 'Sam Stone', email: 'sam@acme.example', companyId: 'acme', isAdmin: true, password: 'sam-demo' },
  { id: 'carol', name: 'Carol Clark', email: 'carol@globex.example', companyId: 'globex', isAdmin: false, password: 'carol-demo' },
  { id: 'dave', name: 'Dave Diaz', email: 'dave@globex.example', companyId: 'globex', isAdmin: true, password: 'dave-demo' },
];

const SCHEMA = `
CREATE TABLE IF NOT EXISTS demo_meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS demo_companies (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, requires_2fa INTEGER NOT NULL CHECK (requires_2fa IN (0, 1))
);
CREATE TABLE IF NOT EXISTS demo_users (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL,
  company_id TEXT NOT NULL REFERENCES demo_companies (id),
  is_admin INTEGER NOT NULL CHECK (is_admin IN (0, 1)),
  password TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS demo_outbox (
  id TEXT PRIMARY KEY, at INTEGER NOT NULL, recipient TEXT NOT NULL,
  type TEXT NOT NULL, user_id TEXT NOT NULL, text TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS demo_outbox_recipient ON demo_outbox (recipient, at);
`;

// scrypt's defaults (N = 2^14, r = 8, p = 1: 16 MiB, tens of milliseconds)
// are the OWASP minimum; a real host tunes N to its hardware.
const SCRYPT: ScryptOptions = { N: 16384, r: 8, p: 1, maxmem: 64 * 1024 * 1024 };
const KEY_LENGTH = 32;

/** `scrypt$N$r$p$salt$hash`, with a fresh 16-byte salt per password. */
export function hashPassword(password: string): string {
  const salt = randomBytes(16);
  const hash = scryptSync(password.normalize('NFC'), salt, KEY_LENGTH, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/** Checks a password against a stored hash, off the event loop and in constant time. */
export async function checkPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || salt === undefined || hash === undefined) return false;
  const expected = Buffer.from(hash, 'base64url');
  const options: ScryptOptions = { N: Number(n), r: Number(r), p: Number(p), maxmem: SCRYPT.maxmem! };
  const actual = await new Promise<Buffer>((resolve, reject) =>
    scrypt(password.normalize('NFC'), Buffer.from(salt, 'base64url'), expected.length, options, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
  return timingSafeEqual(actual, expected);
}

/** A hash no password matches, checked for unknown user names so they take as long as known ones. */
export const DUMMY_HASH = hashPassword(randomBytes(16).toString('hex'));

/** The demo's queries over the open database. */
export interface DemoDb {
  readonly db: Database.Database;
  user(id: string): (User & { readonly passwordHash: string }) | undefined;
  company(id: string): Company | undefined;
  adminsOf(companyId: string): readonly User[];
  /** A random key made on first start and kept in the file, so cookies survive a restart. */
  key(name: string): Buffer;
  addMessage(id: string, message: OutboxMessage): void;
  messagesFor(recipient: string, limit?: number): readonly OutboxMessage[];
}

/** Creates the demo tables if needed and seeds the companies and users once. */
export function openDemoDb(db: Database.Database): DemoDb {
  db.exec(SCHEMA);
  const seeded = db.prepare('SELECT COUNT(*) AS n FROM demo_users').get() as { n: number };
  if (seeded.n === 0) {
    const addCompany = db.prepare('INSERT OR IGNORE INTO demo_companies (id, name, requires_2fa) VALUES (?, ?, ?)');
    const addUser = db.prepare(
      'INSERT OR IGNORE INTO demo_users (id, name, email, company_id, is_admin, password) VALUES (?, ?, ?, ?, ?, ?)',
    );
    const hashes = SEED_USERS.map((u) => hashPassword(u.password));
    db.transaction(() => {
      for (const c of COMPANIES) addCompany.run(c.id, c.name, c.requires2fa ? 1 : 0);
      SEED_USERS.forEach((u, i) => addUser.run(u.id, u.name, u.email, u.companyId, u.isAdmin ? 1 : 0, hashes[i]));
    })();
  }

  type UserRow = { id: string; name: string; email: string; company_id: string; is_admin: number; password: string };
  const toUser = (row: UserRow) => ({
    id: row.id,
    name: row.name,
    email: row.email,
    companyId: row.company_id,
    isAdmin: row.is_admin === 1,
    passwordHash: row.password,
  });
  const getUser = db.prepare('SELECT * FROM demo_users WHERE id = ?');
  const getCompany = db.prepare('SELECT * FROM demo_companies WHERE id = ?');
  const listAdmins = db.prepare('SELECT * FROM demo_users WHERE company_id = ? AND is_admin = 1 ORDER BY name');
  const getMeta = db.prepare('SELECT value FROM demo_meta WHERE key = ?');
  const putMeta = db.prepare('INSERT OR IGNORE INTO demo_meta (key, value) VALUES (?, ?)');
  const addMessage = db.prepare(
    'INSERT OR IGNORE INTO demo_outbox (id, at, recipient, type, user_id, text) VALUES (?, ?, ?, ?, ?, ?)',
  );
  const listMessages = db.prepare('SELECT * FROM demo_outbox WHERE recipient = ? ORDER BY at DESC, rowid DESC LIMIT ?');

  return {
    db,
    user(id) {
      const row = getUser.get(id) as UserRow | undefined;
      return row === undefined ? undefined : toUser(row);
    },
    company(id) {
      const row = getCompany.get(id) as { id: string; name: string; requires_2fa: number } | undefined;
      return row === undefined ? undefined : { id: row.id, name: row.name, requires2fa: row.requires_2fa === 1 };
    },
    adminsOf(companyId) {
      return (listAdmins.all(companyId) as UserRow[]).map(toUser);
    },
    key(name) {
      // INSERT OR IGNORE then read: two processes starting together agree on one key.
      putMeta.run(name, randomBytes(32));
      return (getMeta.get(name) as { value: Buffer }).value;
    },
    addMessage(id, m) {
      addMessage.run(id, m.at, m.recipient, m.type, m.userId, m.text);
    },
    messagesFor(recipient, limit = 20) {
      return (listMessages.all(recipient, limit) as Array<{ at: number; recipient: string; type: string; user_id: string; text: string }>).map(
        (row) => ({ at: row.at, recipient: row.recipient, type: row.type, userId: row.user_id, text: row.text }),
      );
    },
  };
}
