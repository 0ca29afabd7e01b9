/* minifix: make Debian's dropbear 2022.83 offer what Aloofix 0.9's dropbear 2013.58 offered.
 *
 * Aloofix builds DROPBEAR_2013.58 with its defaults plus DROPBEAR_BLOWFISH,
 * DROPBEAR_SHA2_256_HMAC and DROPBEAR_SHA2_512_HMAC. That server offers
 *   kex:      diffie-hellman-group1-sha1, diffie-hellman-group14-sha1 (+ kexguess2@matt.ucc.asn.au)
 *   host key: ssh-rsa, ssh-dss (SHA-1 signatures; no rsa-sha2-*, no ext-info/server-sig-algs)
 *   ciphers:  aes128/aes256/3des in ctr and cbc modes (twofish and blowfish: gone from 2022.83)
 *   MACs:     hmac-sha2-256, hmac-sha2-512, hmac-sha1-96, hmac-sha1 (hmac-md5: gone from 2022.83)
 * Everything newer is switched off here. Settings override default_options.h.
 * This file's hash is part of the kept binary tarball's name (see spec.sh): editing it rebuilds. */

/* Key exchange: the two SHA-1 Diffie-Hellman groups only. */
#define DROPBEAR_DH_GROUP1 1
#define DROPBEAR_DH_GROUP1_CLIENTONLY 0
#define DROPBEAR_DH_GROUP14_SHA1 1
#define DROPBEAR_DH_GROUP14_SHA256 0
#define DROPBEAR_DH_GROUP16 0
#define DROPBEAR_CURVE25519 0
#define DROPBEAR_ECDH 0

/* Host and user keys: RSA (SHA-1 signatures only) and DSS. Without rsa-sha2-256 dropbear
 * also drops the ext-info / server-sig-algs extension. */
#define DROPBEAR_RSA 1
#define DROPBEAR_RSA_SHA1 1
#define DROPBEAR_RSA_SHA256 0
#define DROPBEAR_DSS 1
#define DROPBEAR_ECDSA 0
#define DROPBEAR_ED25519 0
#define DROPBEAR_SK_KEYS 0
#define DROPBEAR_SK_ECDSA 0
#define DROPBEAR_SK_ED25519 0
#define DROPBEAR_DEFAULT_RSA_SIZE 2048

/* Ciphers: AES-128/256 and 3DES, CTR and CBC. No chacha20-poly1305, no GCM. */
#define DROPBEAR_AES128 1
#define DROPBEAR_AES256 1
#define DROPBEAR_3DES 1
#define DROPBEAR_ENABLE_CTR_MODE 1
#define DROPBEAR_ENABLE_CBC_MODE 1
#define DROPBEAR_ENABLE_GCM_MODE 0
#define DROPBEAR_CHACHA20POLY1305 0

/* MACs. */
#define DROPBEAR_SHA1_HMAC 1
#define DROPBEAR_SHA1_96_HMAC 1
#define DROPBEAR_SHA2_256_HMAC 1
#define DROPBEAR_SHA2_512_HMAC 1

/* 2013.58 guessed the first kex packet with its kexguess2 extension, as 2022.83 still does. */
#define DROPBEAR_KEXGUESS2 1

/* Sessions: 2013.58 had one PATH for everybody, root included. */
#define DEFAULT_PATH "/usr/bin:/bin"
#define DEFAULT_ROOT_PATH "/usr/bin:/bin"
#define DO_MOTD 1
#define MOTD_FILENAME "/etc/motd"
#define DROPBEAR_SVR_PASSWORD_AUTH 1
#define DROPBEAR_SVR_PAM_AUTH 0
#define DROPBEAR_SVR_PUBKEY_AUTH 1
#define DROPBEAR_SVR_PUBKEY_OPTIONS 1
#define DROPBEAR_X11FWD 1
#define DROPBEAR_SVR_AGENTFWD 1
#define DROPBEAR_SVR_LOCALTCPFWD 1
#define DROPBEAR_SVR_REMOTETCPFWD 1
#define DROPBEAR_SFTPSERVER 1
#define SFTPSERVER_PATH "/usr/libexec/sftp-server"
#define XAUTH_COMMAND "/usr/bin/X11/xauth -q"

/* Host keys are made by the runit run script (rsa 2048, dss), not on demand with -R. */
#define DROPBEAR_DELAY_HOSTKEY 0
