// Amplify JS v6 configured as an app configures it for Cognito, but with userPoolEndpoint
// aimed at Gatehouse, for the scripts that run it under Node. Node has no localStorage: the
// tokens live in a map, as a browser app's would live in its storage. (Amplify falls back to
// memory by itself; setting it explicitly keeps the tests independent of that fallback.) It
// is set after configure, which installs the default storage. Returns the map, for tests that
// look at what Amplify stored.
import { Amplify } from "aws-amplify";
import { cognitoUserPoolsTokenProvider } from "aws-amplify/auth/cognito";

export function configureAmplify(endpoint, userPoolId, userPoolClientId) {
  Amplify.configure({
    Auth: { Cognito: { userPoolId, userPoolClientId, userPoolEndpoint: endpoint } },
  });
  const store = new Map();
  cognitoUserPoolsTokenProvider.setKeyValueStorage({
    setItem: async (key, value) => void store.set(key, value),
    getItem: async (key) => store.get(key) ?? null,
    removeItem: async (key) => void store.delete(key),
    clear: async () => store.clear(),
  });
  return store;
}
