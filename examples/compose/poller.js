// Fetches the containerised web server every two seconds and logs what it answered.
const url = process.env.WEB_URL ?? 'http://127.0.0.1:8788/';
async function poll() {
  try {
    const response = await fetch(url);
    console.log(`${new Date().toISOString()} ${response.status} ${(await response.text()).trim()}`);
  } catch (error) {
    console.log(`${new Date().toISOString()} ${url}: ${error.cause?.code ?? error.message}`);
  }
}
await poll();
setInterval(poll, 2000);
