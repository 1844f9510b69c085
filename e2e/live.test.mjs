
test('Auto times the model on each backend and trains on the faster, saying why with both figures', async () => {
  await page.getByTestId('preset').selectOption({ label: 'Default CNN' });
  await set('cfg-subset', 2000);
  await set('cfg-epochs', 1);
  await set('cfg-batch', 32);
  await page.getByTestId('cfg-backend').selectOption('auto');
  await page.getByTestId('train').click();
  await page.getByTestId('backend-reason').waitFor({ timeout: 120_000 });
  const reason = await text('backend-reason');
  console.log(`# figure: ${reason}`);
  const m = /^Auto chose (the CPU|WebGPU): CPU ([\d ]+) samples\/s; WebGPU on (.+) ([\d ]+) samples\/s, measured on this model and batch size\.$/.exec(reason);
  assert.ok(m, reason);
  const [cpu, gpu] = [m[2], m[4]].map((s) => Number(s.replace(/ /g, '')));
  assert.ok(cpu > 0 && gpu > 0);
  // Headless Chromium's adapter is SwiftShader, software: named as such, and slower here.
  assert.match(m[3], /swiftshader.*\(a software adapter\)$/i);
  assert.equal(m[1], cpu > gpu ? 'the CPU' : 'WebGPU');
  assert.equal(m[1], 'the CPU', `SwiftShader (${gpu}/s) is slower than the CPU backend (${cpu}/s)`);
  await until(status, (s) => s === 'finished', 'the run', 300_000);
  assert.equal(await text('device'), 'Training on CPU');
  await screenshot(page, 'auto-choice');
});
