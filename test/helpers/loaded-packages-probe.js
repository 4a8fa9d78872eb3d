// Preloaded by tests (NODE_OPTIONS=--require <this file>): when the process exits, prints the
// OpenTelemetry packages it loaded, so a test can tell whether the SDK was ever required.
process.on('exit', () => {
  const loaded = new Set();
  for (const file of Object.keys(require.cache)) {
    const match = /node_modules[\\/](@opentelemetry[\\/][^\\/]+)[\\/]/.exec(file);
    if (match) loaded.add(match[1].replace('\\', '/'));
  }
  process.stderr.write(`\nOPENTELEMETRY_PACKAGES_LOADED ${JSON.stringify([...loaded].sort())}\n`);
});
