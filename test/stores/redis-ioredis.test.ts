import { describeRedisStore, warnIfSkipped } from './redis-suite.js';

warnIfSkipped('test/stores/redis-ioredis.test.ts');
describeRedisStore('ioredis');
