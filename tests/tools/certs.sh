# shellcheck shell=bash
# Test certificates with the openssl CLI (sourced by the TLS tests).
#
#   mk_ca DIR NAME                      DIR/NAME.pem, DIR/NAME.key (P-256)
#   mk_leaf DIR NAME CA_BASE IP [DAYS] [KEY]
#       DIR/NAME.pem (leaf for IP, signed by CA_BASE.pem/.key), DIR/NAME.key
#       (KEY's key when given: a renewal under the same key), and
#       DIR/NAME.chain.pem (leaf + CA). DAYS -1 makes an expired one.
#   mk_self DIR NAME IP                 a self-signed leaf for IP
#   spki_pin CERT                       the SHA-256 of CERT's SPKI, hex
mk_ca() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$1/$2.key" -out "$1/$2.pem" -subj "/CN=$2" -days 30 \
	    -addext basicConstraints=critical,CA:TRUE \
	    -addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
}

mk_leaf() {
	local dir=$1 name=$2 ca=$3 ip=$4 days=${5:-30} key=${6:-}
	if [ -n "$key" ]; then
		[ "$key" = "$dir/$name.key" ] || cp "$key" "$dir/$name.key"
	else
		openssl genpkey -algorithm ec -pkeyopt ec_paramgen_curve:P-256 \
		    -out "$dir/$name.key" 2>/dev/null
	fi
	openssl req -new -key "$dir/$name.key" -subj "/CN=$name" \
	    -out "$dir/$name.csr" 2>/dev/null
	printf 'subjectAltName=IP:%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
	    "$ip" >"$dir/$name.ext"
	openssl x509 -req -in "$dir/$name.csr" -CA "$ca.pem" -CAkey "$ca.key" \
	    -CAcreateserial -days "$days" -extfile "$dir/$name.ext" \
	    -out "$dir/$name.pem" 2>/dev/null
	cat "$dir/$name.pem" "$ca.pem" >"$dir/$name.chain.pem"
}

mk_self() {
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$1/$2.key" -out "$1/$2.pem" -subj "/CN=$2" -days 30 \
	    -addext "subjectAltName=IP:$3" 2>/dev/null
	cp "$1/$2.pem" "$1/$2.chain.pem"
}

spki_pin() {
	openssl x509 -in "$1" -pubkey -noout | openssl pkey -pubin -outform der |
	    sha256sum | cut -d' ' -f1
}
