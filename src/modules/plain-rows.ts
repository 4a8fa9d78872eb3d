import type { EntityDictionary, EntityManager, EntityMetadata, EntityProperty } from '@mikro-orm/core';

type EntityClass<T> = new (...args: never[]) => T;

/** An entity's table and columns, quoted for the request's database. */
export interface QuotedNames<T> {
  table: string;
  /** The column of a property stored in one column (a many-to-one's is its foreign key). */
  column(prop: keyof T & string): string;
}

const namesCache = new WeakMap<object, Map<string, QuotedNames<any>>>();

/** The quoted table and column names of `entity`, from its metadata; computed once per ORM and entity. */
export function quotedNames<T extends object>(em: EntityManager, entity: EntityClass<T>): QuotedNames<T> {
  const platform = em.getPlatform();
  let byEntity = namesCache.get(platform);
  if (!byEntity) {
    byEntity = new Map();
    namesCache.set(platform, byEntity);
  }
  let names = byEntity.get(entity.name) as QuotedNames<T> | undefined;
  if (!names) {
    const meta = em.getMetadata().get<T>(entity.name);
    const columns = new Map<string, string>();
    for (const prop of Object.values(meta.properties) as EntityProperty<T>[]) {
      if (prop.fieldNames?.length === 1) columns.set(prop.name, platform.quoteIdentifier(prop.fieldNames[0]!));
    }
    names = {
      table: platform.quoteIdentifier(meta.tableName),
      column: (prop) => {
        const column = columns.get(prop);
        if (!column) throw new Error(`${entity.name}.${prop} is not a property stored in one column`);
        return column;
      },
    };
    byEntity.set(entity.name, names);
  }
  return names;
}

/**
 * Runs `sql` (parameters as `?`) on the request's connection, inside its transaction if there is one,
 * and maps each row with `entity`'s own result mapper, the one entities are hydrated from: column names
 * become property names, dates become `Date` (SQLite stores epoch milliseconds, PostgreSQL returns
 * `Date`), columns of no property of `entity` stay as they are. Failures are the driver's exceptions,
 * as `em.find()` throws them.
 */
export async function selectRows<R, T extends object = object>(
  em: EntityManager,
  entity: EntityClass<T>,
  sql: string,
  params: readonly unknown[],
): Promise<R[]> {
  const meta: EntityMetadata<T> = em.getMetadata().get<T>(entity.name);
  const driver = em.getDriver();
  let rows: EntityDictionary<T>[];
  try {
    rows = await em.getConnection().execute(sql, [...params], 'all', em.getTransactionContext());
  } catch (err) {
    throw driver.convertException(err as Error); // the DriverException an em.find() would have thrown
  }
  return rows.map((row) => driver.mapResult(row, meta) as R);
}

/** `?, ?, ...`: one placeholder per value of an `in (...)` list. */
export function placeholders(count: number): string {
  return Array.from({ length: count }, () => '?').join(', ');
}

/**
 * Plain rows for the read paths: `select <the columns of props> from <table> <tail>`, mapped by
 * {@link selectRows}. No entity, no identity map, no unit of work, no query builder: a page of 50 users
 * with their 500 keys spent most of its CPU there (see BENCHMARKS.md). Writes keep loading entities, so
 * the unit of work (and the cache eviction that listens to it) sees every change.
 */
export class RowReader<T extends object> {
  constructor(
    private readonly entity: EntityClass<T>,
    private readonly props: readonly (keyof T & string)[],
  ) {}

  /** `tail` may name columns as `{prop}`. */
  read<R>(em: EntityManager, tail: string, params: readonly unknown[]): Promise<R[]> {
    const names = quotedNames(em, this.entity);
    const select = this.props.map((prop) => names.column(prop)).join(', ');
    const where = tail.replace(/\{(\w+)\}/g, (_, prop: string) => names.column(prop as keyof T & string));
    return selectRows<R, T>(em, this.entity, `select ${select} from ${names.table} ${where}`, params);
  }
}
