/** IndexedDB as promises: the viewer's results cache and its site corrections both live there. */

export const idbRequest = <T>(r: IDBRequest<T>): Promise<T> =>
  new Promise((resolve, reject) => {
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('IndexedDB request failed'));
  });

export const idbDone = (tx: IDBTransaction): Promise<void> =>
  new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });

/**
 * Opens (version 1, created by `upgrade`) a database; `onVersionChange` runs after the connection
 * closed because another tab upgrades it (the caller reopens next time).
 */
export async function openIdb(
  factory: IDBFactory | undefined,
  name: string,
  upgrade: (db: IDBDatabase) => void,
  onVersionChange: () => void,
): Promise<IDBDatabase> {
  const f = factory ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!f) throw new Error('IndexedDB is not available in this browser');
  const open = f.open(name, 1);
  open.onupgradeneeded = () => upgrade(open.result);
  open.onblocked = () => undefined; // another tab holds an old version; open waits for it
  const db = await idbRequest(open);
  db.onversionchange = () => {
    db.close();
    onVersionChange();
  };
  return db;
}
