// A real browser (Debian's Chromium, driven by playwright-core) through a branded hosted
// sign-in that must set up an authenticator app (MFA_SETUP): the pool's logo and CSS are
// shown and applied under the page's Content-Security-Policy, the QR code loads, and the
// first code is computed from the key shown on the page by pyotp (an independent TOTP
// implementation) at the server's clock. Prints the code the callback received (the Rust
// test exchanges it). Screenshots of the branded sign-in page and of the set-up page are
// saved to the paths given.
//
// Usage: node hosted_mfa_setup.mjs <authorize URL> <callback prefix> <username> <password>
//        <sign-in screenshot> <set-up screenshot> <python> <server time> <branded button colour>
import { execFileSync } from "node:child_process";
import { launchChromium } from "./chromium.mjs";

const [authorizeUrl, callback, username, password, signInShot, setupShot, python, serverTime, buttonColour] =
  process.argv.slice(2);
const browser = await launchChromium();
const { context } = browser;
try {
  const page = await context.newPage();
  // Anything the policy blocked (an inline style, an image) shows up as a console error.
  const blocked = [];
  page.on("console", (message) => {
    if (message.type() === "error" && /Content Security Policy/i.test(message.text())) {
      blocked.push(message.text());
    }
  });
  let reached;
  const landed = new Promise((resolve) => (reached = resolve));
  await context.route(`${callback}**`, async (route) => {
    reached(route.request().url());
    await route.fulfill({ status: 200, contentType: "text/plain", body: "signed in" });
  });

  await page.goto(authorizeUrl);
  const title = await page.title();
  if (title !== "Sign in") throw new Error(`the sign-in page was expected, got "${title}"`);
  const logoWidth = await page.locator("img.logo-customizable").evaluate((img) => img.naturalWidth);
  if (!(logoWidth > 0)) throw new Error("the pool's logo did not load");
  const colour = await page
    .getByRole("button", { name: "Sign in" })
    .evaluate((button) => getComputedStyle(button).backgroundColor);
  if (colour !== buttonColour) {
    throw new Error(`the branded button colour ${buttonColour} was expected, got ${colour}`);
  }
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Password").fill(password);
  await page.screenshot({ path: signInShot, fullPage: true });
  await Promise.all([page.waitForNavigation(), page.getByRole("button", { name: "Sign in" }).click()]);
  const setupTitle = await page.title();
  if (setupTitle !== "Set up your authenticator app") {
    throw new Error(`the set-up page was expected, got "${setupTitle}":\n${await page.content()}`);
  }
  const qrWidth = await page.locator("img.gh-qr").evaluate((img) => img.naturalWidth);
  if (!(qrWidth > 0)) throw new Error("the QR code did not load");
  const key = (await page.locator("#secret-code").innerText()).trim();
  const code = execFileSync(python, [
    "-c",
    "import pyotp, sys; print(pyotp.TOTP(sys.argv[1]).at(int(sys.argv[2])))",
    key,
    serverTime,
  ])
    .toString()
    .trim();
  await page.getByLabel("Code from the app").fill(code);
  await page.getByLabel("Device name (optional)").fill("Test phone");
  await page.screenshot({ path: setupShot, fullPage: true });
  await page.getByRole("button", { name: "Verify and sign in" }).click();

  let expired;
  const deadline = new Promise((resolve) => (expired = setTimeout(resolve, 60_000, null)));
  const url = await Promise.race([landed, deadline]);
  clearTimeout(expired);
  if (url === null) {
    throw new Error(`the callback was not reached; the browser is at ${page.url()}:\n${await page.content()}`);
  }
  if (blocked.length > 0) throw new Error(`the policy blocked: ${blocked.join("\n")}`);
  const query = new URL(url).searchParams;
  console.log(JSON.stringify({ code: query.get("code"), state: query.get("state"), key }));
  console.log("browser mfa set-up passed");
} finally {
  await browser.close();
}
