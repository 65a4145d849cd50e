#!/usr/bin/env bash
# A short AWS CLI session against Gatehouse's Cognito API, the one docs/cognito-compatibility.md shows.
# Usage: aws_cli_session.sh ENDPOINT ACCESS_KEY_ID SECRET_ACCESS_KEY
set -euo pipefail
endpoint="$1"
export AWS_ACCESS_KEY_ID="$2" AWS_SECRET_ACCESS_KEY="$3" AWS_DEFAULT_REGION=us-east-1
idp() { aws cognito-idp --endpoint-url "$endpoint" "$@"; }

pool=$(idp create-user-pool --pool-name cli-tenant --query UserPool.Id --output text)
client=$(idp create-user-pool-client --user-pool-id "$pool" --client-name cli \
    --explicit-auth-flows ALLOW_USER_PASSWORD_AUTH ALLOW_REFRESH_TOKEN_AUTH \
    --query UserPoolClient.ClientId --output text)
idp admin-create-user --user-pool-id "$pool" --username dana \
    --temporary-password 'Temporary-Pass-1' --message-action SUPPRESS > /dev/null
idp admin-set-user-password --user-pool-id "$pool" --username dana \
    --password 'Correct-Horse-9' --permanent
token=$(idp initiate-auth --client-id "$client" --auth-flow USER_PASSWORD_AUTH \
    --auth-parameters USERNAME=dana,PASSWORD=Correct-Horse-9 \
    --query AuthenticationResult.AccessToken --output text)
user=$(idp get-user --access-token "$token" --query Username --output text)
[ "$user" = dana ] || { echo "get-user returned $user" >&2; exit 1; }
if idp initiate-auth --client-id "$client" --auth-flow USER_PASSWORD_AUTH \
    --auth-parameters USERNAME=dana,PASSWORD=wrong 2> error.txt; then
    echo "a wrong password signed in" >&2; exit 1
fi
grep -q NotAuthorizedException error.txt
rm -f error.txt
idp delete-user-pool --user-pool-id "$pool"
echo "aws cli session: ok (pool $pool, client $client)"
