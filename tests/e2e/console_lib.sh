# The console's HTTP API driven with curl, for tests that sign in without a
# browser (source after lib.sh; needs $T).

# sign_in BASE USER PASSWORD: the cookie's value, then the CSRF token
sign_in() {
	local base=$1 jar pre
	jar=$(mktemp "$T/jar.XXXXXX")
	pre=$(curl -sS -c "$jar" "$base/console/api/session" |
	    jq -r .csrf)
	curl -sS -b "$jar" -D "$jar.hdr" -o "$jar.body" -H "Origin: $base" \
	    -H "X-Wicket-CSRF: $pre" -H 'Content-Type: application/json' \
	    --data "{\"user\":\"$2\",\"password\":\"$3\"}" \
	    "$base/console/api/login"
	sed -n 's/^Set-Cookie: wk_session=\([0-9a-f]\{64\}\);.*/\1/p' \
	    "$jar.hdr" | tr -d '\r'
	jq -r .csrf "$jar.body"
}
# session BASE COOKIE: GET /console/api/session's body
session() {
	curl -sS -H "Cookie: wk_session=$2" "$1/console/api/session"
}
signed_in_as() {	# signed_in_as BASE COOKIE USER
	[ "$(session "$1" "$2" | jq -r '.signedIn, .user' | tr '\n' ' ')" = \
	    "true $3 " ]
}
signed_out() {		# signed_out BASE COOKIE
	[ "$(session "$1" "$2" | jq -r .signedIn)" = false ]
}
status() {		# status BASE COOKIE PATH: the HTTP status of a GET
	curl -sS -o /dev/null -w '%{http_code}' \
	    -H "Cookie: wk_session=$2" "$1$3"
}
logout() {		# logout BASE COOKIE CSRF: the HTTP status
	curl -sS -o /dev/null -w '%{http_code}' -X POST \
	    -H "Cookie: wk_session=$2" -H "Origin: $1" \
	    -H "X-Wicket-CSRF: $3" "$1/console/api/logout"
}
