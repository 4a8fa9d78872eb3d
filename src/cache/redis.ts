/**
 * The Redis store, a separate entry point of the cache module: importing it loads the Redis client
 * (`@keyv/redis`), which an application on the memory store never needs.
 */
export { createRedisStore, defaultRedisChunkSize, type RedisStore, type RedisStoreOptions } from './stores/redis';
