// A bot plugin: registers with the bot and keeps a heartbeat (every 500 ms) until it is stopped.
const [name] = process.argv.slice(2);
const beat = () => fetch(`${process.env.BOT_URL}/register?name=${encodeURIComponent(name)}`).catch(() => {});
console.log(`plugin ${name} up`);
beat();
setInterval(beat, 500);
process.on('SIGTERM', () => {
  console.log(`plugin ${name} stopping`);
  process.exit(0);
});
