/**
 * The Redis stores, a separate entry point of the cache module: importing it loads the Redis client
 * (`@keyv/redis`), which an application on the memory store never needs. `createRedisStore` talks to one
 * Redis; `createRedisClusterStore` to a Redis Cluster, behind the same {@link RedisStore} interface.
 */
export {
  createRedisClusterStore,
  createRedisStore,
  defaultRedisChunkSize,
  parseClusterNodes,
  type RedisClusterStoreOptions,
  type RedisStore,
  type RedisStoreOptions,
} from './stores/redis';
