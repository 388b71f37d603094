import { describeRedisStore, warnIfSkipped } from './redis-suite.js';

warnIfSkipped('test/stores/redis-node.test.ts');
describeRedisStore('node-redis');
