-- The scopes a session was granted (docs/oauth2.md, "Authorization codes"). Tokens refreshed from a
-- session carry the scopes of the sign-in that started it, never more: a session started by
-- an authorization code with `openid email` must not refresh into tokens with the
-- `aws.cognito.signin.user.admin` scope. NULL is a session from before this column, or one
-- started through the Cognito or login API, whose tokens carry that admin scope.
ALTER TABLE sessions ADD COLUMN scope TEXT;
