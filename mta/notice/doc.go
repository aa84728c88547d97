// Package notice holds qmail 1.03's two programs that tell someone about
// a delivery, for .qmail files:
//
//   - Qreceipt (qreceipt(1)): when the message lists the given address in
//     a Notice-Requested-Upon-Delivery-To field, a success notice goes
//     back to the envelope sender;
//   - Qbiff (qbiff(1)): the recipient, if logged in with "biff y", sees a
//     line naming the sender and the start of the message on each of
//     their terminals.
//
// Both read the header with qmail-inject's reader (mta/inject); qreceipt
// sends its notice through qmail-queue like forward(1) (mta/qqueue).
package notice
