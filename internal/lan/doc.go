// Package lan supports trying maju with a phone on the same local network.
//
// Browsers give camera and microphone only to secure contexts, so plain
// http://192.168.1.23:8080 does not work on a phone. Addresses lists the
// machine's addresses a phone on the same Wi-Fi could reach, Certificate
// makes (and keeps) a self-signed certificate for them, and Fingerprint and
// SPKIHash describe that certificate for people and test browsers.
package lan
