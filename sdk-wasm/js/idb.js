// Opens Herald's IndexedDB database (`herald`), creating its object stores
// on first use: `state` (the mirror, one record under `current`) and
// `queue` (pending changes, auto-increment keys keep their order).
//
// The stores must be created inside the `upgradeneeded` event itself. This
// is the SDK's one piece of JavaScript besides the loader: doing it from
// Rust needs a wasm-bindgen closure, whose machinery costs ~0.6 KB gzip of
// the page budget. The service worker (herald-sw.js) has the same schema.
export function openDatabase(name, version) {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(name, version);
    request.onupgradeneeded = () => {
      const db = request.result;
      if (!db.objectStoreNames.contains('state')) db.createObjectStore('state');
      if (!db.objectStoreNames.contains('queue')) db.createObjectStore('queue', { autoIncrement: true });
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}
