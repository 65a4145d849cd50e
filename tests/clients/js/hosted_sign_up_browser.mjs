// A real browser (Debian's Chromium, driven by playwright-core) through the hosted sign-up
// and password-reset pages: from the authorize URL to the sign-in page, its "Sign up" link,
// the sign-up form, the confirmation code (read from the dev outbox, as the user would read
// their mail), and on to the callback; then the sign-in page's "Forgot your password?" link,
// the reset code, the new password, and a sign-in with it, to the callback again. Prints the
// query of each landing (the Rust test exchanges both codes) and keeps a screenshot of the
// sign-up page and of the forgotten-password page.
//
// Usage: node hosted_sign_up_browser.mjs <authorize URL> <callback prefix> <server URL>
//   <username> <email> <password> <new password> <sign-up screenshot> <forgot screenshot>
import { launchChromium } from "./chromium.mjs";

const [authorizeUrl, callback, server, username, email, password, newPassword, signUpShot, forgotShot] =
  process.argv.slice(2);
const browser = await launchChromium();
const { context } = browser;

// The newest six-digit code sent to `to`, from the dev outbox (newest message first).
async function newestCode(to) {
  const response = await fetch(`${server}/_dev/outbox?to=${encodeURIComponent(to)}`);
  if (!response.ok) throw new Error(`the outbox answered ${response.status}`);
  const { Messages: messages } = await response.json();
  const code = messages[0]?.Text.match(/\b\d{6}\b/)?.[0];
  if (!code) throw new Error(`no code in the outbox for ${to}: ${JSON.stringify(messages)}`);
  return code;
}

async function expectTitle(page, expected) {
  const title = await page.title();
  if (title !== expected) {
    throw new Error(`the page "${expected}" was expected, got "${title}" at ${page.url()}:\n${await page.content()}`);
  }
}

try {
  const page = await context.newPage();
  // The application behind the callback does not exist: the browser's requests to it are
  // answered here, and their URLs are what the test wants.
  let reached;
  await context.route(`${callback}**`, async (route) => {
    reached?.(route.request().url());
    await route.fulfill({ status: 200, contentType: "text/plain", body: "signed in" });
  });
  // Clicks `button` and waits for the callback; a flow that ends elsewhere (an error page)
  // fails with what the browser shows, not a hang.
  async function landAfter(button) {
    const landed = new Promise((resolve) => (reached = resolve));
    let expired;
    const deadline = new Promise((resolve) => (expired = setTimeout(resolve, 60_000, null)));
    await button.click();
    const url = await Promise.race([landed, deadline]);
    clearTimeout(expired);
    if (url === null) {
      throw new Error(`the callback was not reached; the browser is at ${page.url()}:\n${await page.content()}`);
    }
    // The navigation to the callback must finish before the next one starts.
    await page.waitForURL(`${callback}**`);
    const query = new URL(url).searchParams;
    console.log(JSON.stringify({ code: query.get("code"), state: query.get("state") }));
  }

  // Sign-up, from the sign-in page's link.
  await page.goto(authorizeUrl);
  await expectTitle(page, "Sign in");
  await page.getByRole("link", { name: "Sign up" }).click();
  await expectTitle(page, "Sign up");
  // Labels name the inputs (the page is usable with a screen reader).
  await page.getByLabel("Username").fill(username);
  await page.getByLabel("Email address").fill(email);
  await page.getByLabel("Password", { exact: true }).fill(password);
  await page.screenshot({ path: signUpShot, fullPage: true });
  await page.getByRole("button", { name: "Sign up" }).click();
  await expectTitle(page, "Confirm your account");
  await page.getByLabel("Confirmation code").fill(await newestCode(email));
  await landAfter(page.getByRole("button", { name: "Confirm account" }));

  // Password reset, from the sign-in page's link.
  await page.goto(authorizeUrl.replace("/oauth2/authorize", "/login"));
  await expectTitle(page, "Sign in");
  await page.getByRole("link", { name: "Forgot your password?" }).click();
  await expectTitle(page, "Forgot your password?");
  await page.getByLabel("Username").fill(username);
  await page.screenshot({ path: forgotShot, fullPage: true });
  await page.getByRole("button", { name: "Send code" }).click();
  await expectTitle(page, "Reset your password");
  await page.getByLabel("Code", { exact: true }).fill(await newestCode(email));
  await page.getByLabel("New password", { exact: true }).fill(newPassword);
  await page.getByLabel("Confirm new password").fill(newPassword);
  await page.getByRole("button", { name: "Change password" }).click();
  await expectTitle(page, "Sign in");
  await page.getByText("Your password was changed.").waitFor();
  await page.getByLabel("Password", { exact: true }).fill(newPassword);
  await landAfter(page.getByRole("button", { name: "Sign in" }));
  console.log("browser sign-up and reset passed");
} finally {
  await browser.close();
}
