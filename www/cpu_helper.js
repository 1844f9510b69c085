// A CPU helper thread of the threaded worker (src/worker/threads.rs starts it): the same
// wasm module on the worker's shared memory, running kernel parts until the page closes.
importScripts('./worker_mt.js');
self.onmessage = (event) => {
  const [module, memory, index] = event.data;
  self.__trainerCpuHelper = true; // the worker binary's main() then returns at once
  wasm_bindgen.initSync({ module, memory });
  wasm_bindgen.cpu_helper_main(index);
};
