// The browser's last token renewal, {spent, tokens}, kept in IndexedDB for the tab that takes the
// renewal lock next. localStorage alone is not enough: Chromium gives each tab its own copy and
// brings another tab's write a moment later, so a tab granted the lock just after another
// renewed may still read the spent refresh token. IndexedDB answers from one store for every
// tab: a renewal recorded before the lock is released is seen by whoever takes it next.

const DB = 'marketplace-session';
const STORE = 'renewals';
const LAST = 'last';

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

/** Run one request in a transaction; resolves with its result once the transaction commits. */
async function transact(mode, work) {
  const db = await open();
  try {
    return await new Promise((resolve, reject) => {
      const transaction = db.transaction(STORE, mode);
      const request = work(transaction.objectStore(STORE));
      transaction.oncomplete = () => resolve(request.result);
      transaction.onerror = () => reject(transaction.error);
      transaction.onabort = () => reject(transaction.error);
    });
  } finally {
    db.close();
  }
}

/** The tokens `spent` was renewed for, when it was the last one renewed; else null. */
export async function successorOf(spent) {
  const last = await transact('readonly', (store) => store.get(LAST));
  return last?.spent === spent ? last.tokens : null;
}

export function record(spent, tokens) {
  return transact('readwrite', (store) => store.put({ spent, tokens }, LAST));
}

/** Signed out: no live refresh token stays behind here. */
export function forget() {
  return transact('readwrite', (store) => store.delete(LAST));
}
