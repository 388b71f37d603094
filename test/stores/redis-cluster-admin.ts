// Operating the local test cluster (.ci/run starts it): who serves which
// slot, killing a master the way a crash would, and putting the cluster back
// the way it was so later tests and reruns find three healthy masters.
import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface ClusterNode {
  readonly id: string;
  readonly port: number;
  readonly master: boolean;
  /** For a replica, the id of its master. */
  readonly masterId: string | null;
  readonly failed: boolean;
  /** Slot ranges served, as [first, last]. */
  readonly slots: ReadonlyArray<readonly [number, number]>;
}

function connect(port: number): Redis {
  const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
  client.on('error', () => {});
  return client;
}

/** Sends one command to one node and closes the connection; `null` when the node does not answer. */
export async function onNode(port: number, ...args: Array<string | number>): Promise<unknown> {
  const client = connect(port);
  try {
    await client.connect();
    return await client.call(String(args[0]), ...args.slice(1).map(String));
  } catch {
    return null;
  } finally {
    client.disconnect();
  }
}

export async function clusterNodes(port: number): Promise<ClusterNode[]> {
  const text = await onNode(port, 'CLUSTER', 'NODES');
  if (typeof text !== 'string') throw new Error(`node ${port} does not answer CLUSTER NODES`);
  return text
    .trim()
    .split('\n')
    .map((line) => {
      const [id, address, flags, masterId, , , , , ...slots] = line.split(' ');
      return {
        id: id!,
        port: Number(/:(\d+)@/.exec(address!)?.[1]),
        master: flags!.split(',').includes('master'),
        masterId: masterId === '-' ? null : masterId!,
        failed: /fail/.test(flags!),
        slots: slots
          .filter((range) => !range.startsWith('['))
          .map((range) => {
            const [first, last] = range.split('-').map(Number);
            return [first!, last ?? first!] as const;
          }),
      };
    });
}

export async function clusterOk(port: number): Promise<boolean> {
  const info = await onNode(port, 'CLUSTER', 'INFO');
  return typeof info === 'string' && info.includes('cluster_state:ok');
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** The port of the master that serves `slot`, asked of any node that answers. */
export async function masterOfSlot(ports: readonly number[], slot: number): Promise<ClusterNode> {
  for (const port of ports) {
    const nodes = await clusterNodes(port).catch(() => null);
    const master = nodes?.find((node) => node.master && !node.failed && node.slots.some(([a, b]) => slot >= a && slot <= b));
    if (master) return master;
  }
  throw new Error(`no master serves slot ${slot}`);
}

/**
 * Every node answers and agrees: the cluster is ok, the masters are the
 * given ports, and every other node is a replica of one of them.
 */
export async function healthy(ports: readonly number[], masters: readonly number[]): Promise<boolean> {
  for (const port of ports) if (!(await clusterOk(port))) return false;
  for (const port of ports) {
    const nodes = await clusterNodes(port);
    if (nodes.length !== ports.length || nodes.some((node) => node.failed)) return false;
    const serving = nodes.filter((node) => node.master && node.slots.length > 0);
    if (JSON.stringify(serving.map((node) => node.port).sort()) !== JSON.stringify([...masters].sort())) return false;
    const replicas = nodes.filter((node) => !serving.includes(node));
    if (!replicas.every((node) => !node.master && serving.some((master) => master.id === node.masterId))) return false;
  }
  return true;
}

export interface KilledNode {
  readonly port: number;
  /** Starts the node again from its own directory and nodes.conf: it rejoins as a replica. */
  restart(): Promise<void>;
}

/** SIGKILLs the redis-server on `port` (as a crash would), after noting how to start it again. */
export async function killNode(port: number): Promise<KilledNode> {
  const config = async (name: string) => {
    const reply = (await onNode(port, 'CONFIG', 'GET', name)) as string[] | null;
    if (!Array.isArray(reply) || reply.length < 2) throw new Error(`node ${port}: CONFIG GET ${name} failed`);
    return reply[1]!;
  };
  const settings = {
    dir: await config('dir'),
    file: await config('cluster-config-file'),
    timeout: await config('cluster-node-timeout'),
    logfile: await config('logfile'),
  };
  const info = String(await onNode(port, 'INFO', 'server'));
  const pid = Number(/process_id:(\d+)/.exec(info)?.[1]);
  if (!Number.isSafeInteger(pid) || pid <= 1) throw new Error(`node ${port}: no process id`);
  process.kill(pid, 'SIGKILL');
  await waitFor(`node ${port} to stop`, async () => (await onNode(port, 'PING')) === null, 10_000);
  return {
    port,
    async restart() {
      const args = [
        '--daemonize', 'yes', '--bind', '127.0.0.1', '--port', String(port), '--dir', settings.dir,
        '--cluster-enabled', 'yes', '--cluster-config-file', settings.file, '--cluster-node-timeout', settings.timeout,
        '--save', '', '--appendonly', 'no', ...(settings.logfile ? ['--logfile', settings.logfile] : []),
      ];
      await new Promise<void>((resolve, reject) => {
        const child = spawn('redis-server', args, { stdio: 'ignore' });
        child.on('error', reject);
        child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`redis-server exited with ${code}`))));
      });
      await waitFor(`node ${port} to answer`, async () => (await onNode(port, 'PING')) === 'PONG', 10_000);
    },
  };
}

/**
 * Puts a cluster whose master `port` was killed back as it was: the node
 * started again (it rejoins as a replica of its promoted replica), caught up,
 * and promoted back by a coordinated CLUSTER FAILOVER, which loses nothing.
 */
export async function restoreMaster(killed: KilledNode, ports: readonly number[], masters: readonly number[]): Promise<void> {
  if ((await onNode(killed.port, 'PING')) !== 'PONG') await killed.restart();
  await waitFor(`node ${killed.port} to sync as a replica`, async () => {
    const info = String(await onNode(killed.port, 'INFO', 'replication'));
    return info.includes('role:master') || info.includes('master_link_status:up');
  }, 60_000);
  const role = String(await onNode(killed.port, 'INFO', 'replication'));
  if (role.includes('role:slave')) {
    await onNode(killed.port, 'CLUSTER', 'FAILOVER');
  }
  await waitFor('the cluster to be whole again', () => healthy(ports, masters), 60_000);
}
