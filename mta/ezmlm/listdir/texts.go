package listdir

// DefaultTexts are quail's texts, in its own words: what ezmlm-make
// writes into a new list's text/ directory, and what the programs use
// when a list has no text of that name anywhere (an ezmlm-idx 7 list on
// a host without /etc/ezmlm). The names and tags are ezmlm(5)'s.
var DefaultTexts = map[string]string{
	"top": `Hello! This is the ezmlm program, which manages the <#l#>@<#H#>
mailing list.

`,
	"bottom": `
--- Commands of the <#l#> list ---

Requests are handled by software. Send them to one of these
addresses, never to the list itself:

To subscribe:
   <<#L#>-subscribe@<#H#>>

To unsubscribe:
   <<#L#>-unsubscribe@<#H#>>
<=d=>

For the digest, subscribe and unsubscribe with:
   <<#L#>-digest-subscribe@<#H#>>
   <<#L#>-digest-unsubscribe@<#H#>>
<==>

For a list of all commands:
   <<#L#>-help@<#H#>>

To retrieve message 12 of the archive:
   <<#L#>-get.12@<#H#>>

To reach the person who runs this list:
   <<#L#>-owner@<#H#>>

--- This is a copy of the request that was received.

`,
	"sub-confirm": `Someone asked to add this address to the <#l#> mailing list:

   <#A#>

To confirm that you want it added, reply to this message, or send
an empty message to this address:

   <#R#>

If you did not ask for it, do nothing: without a reply the address
stays off the list.

`,
	"sub-ok": `This address is now subscribed to the <#l#> mailing list:

   <#A#>

Messages to the list go to <#L#>@<#H#>. To leave the list, send
a message to:

   <<#l#>-unsubscribe-<#t#>@<#H#>>

Please keep this message: it says how to unsubscribe.

`,
	"sub-nop": `The address

   <#A#>

was already subscribed to the <#l#> mailing list; nothing changed.

`,
	"sub-bad": `That confirmation address was not valid: it may be too old, or
it was cut or changed on the way. Here is a new one. To confirm
the subscription of

   <#A#>

reply to this message, or send an empty message to:

   <#R#>

`,
	"unsub-confirm": `Someone asked to remove this address from the <#l#> mailing list:

   <#A#>

To confirm, reply to this message, or send an empty message to:

   <#R#>

If the address is not the one you subscribed with, look at the
Return-Path or Delivered-To lines of a list message to find the
address the list sends to.

`,
	"unsub-ok": `This address has been removed from the <#l#> mailing list:

   <#A#>

No more messages of the list will be sent to it.

`,
	"unsub-nop": `The address

   <#A#>

is not subscribed to the <#l#> mailing list; nothing changed.

If you get list messages at another address, unsubscribe that
address: the list's messages name it in their Return-Path.

`,
	"unsub-bad": `That confirmation address was not valid: it may be too old, or
it was cut or changed on the way. Here is a new one. To confirm
the removal of

   <#A#>

reply to this message, or send an empty message to:

   <#R#>

`,
	"get-bad": `There is no message with that number in the archive.

`,
	"help": `This is the list of commands of the <#l#> list. Each is a message
(subject and body do not matter) sent to an address:

   <<#L#>-subscribe@<#H#>>          subscribe
   <<#L#>-unsubscribe@<#H#>>        unsubscribe
   <<#L#>-get.12@<#H#>>             message 12 of the archive
   <<#L#>-get.12_45@<#H#>>          messages 12 to 45
   <<#L#>-index@<#H#>>              the subjects of recent messages
   <<#L#>-info@<#H#>>               about the list
   <<#L#>-faq@<#H#>>                frequently asked questions
   <<#L#>-query@<#H#>>              whether you are subscribed

To subscribe or unsubscribe another address, put it into the
command address, with '=' in place of its '@': to subscribe
john@example.com, write to:

   <<#L#>-subscribe-john=example.com@<#H#>>

A confirmation is then sent to that address.

`,
	"info": `No information about the list has been given yet.

`,
	"faq": `No frequently asked questions have been given yet.

`,
	"bounce-warn": `Messages from the <#l#> mailing list to your address

   <#A#>

have been coming back as undeliverable.

`,
	"bounce-num": `Here are the numbers of the messages that came back. You can get
them from the archive (see the commands below).

`,
	"dig-bounce-num": `Here are the numbers of the first messages of the digests that
came back.

`,
	"bounce-probe": `Messages from the <#l#> mailing list to your address

   <#A#>

have been coming back, and so did the warning about them. This is
a test message: if it comes back too, the address is removed from
the list without further notice.

`,
	"bounce-bottom": `
--- One of the messages that came back is below.

`,
	"digest": `To post to the list, write to:
   <<#L#>@<#H#>>

To subscribe to the digest:
   <<#L#>-digest-subscribe@<#H#>>

To unsubscribe from the digest:
   <<#L#>-digest-unsubscribe@<#H#>>

To reach the person who runs this list:
   <<#L#>-owner@<#H#>>
`,
	"mod-help": `As a moderator of the <#l#> list you can subscribe and unsubscribe
others: put the address into the command address with '=' in
place of its '@', and confirm the request sent to you:

   <<#L#>-subscribe-john=example.com@<#H#>>
   <<#L#>-unsubscribe-john=example.com@<#H#>>

Posts waiting for moderation come with two addresses: reply to
the accept address to post a message, to the reject address to
return it to its sender. A text between two lines of %%% in a
reject is sent to the sender as the reason.

`,
	"mod-reject": `A moderator returned your message to the <#l#> list unposted.
Below are their comment, if any, and your message.

`,
	"mod-timeout": `Your message to the <#l#> list was not moderated in time and
is returned to you unposted.

`,
	"mod-sub": `The request was approved by a moderator.

`,
	"mod-request": `A message to the <#l#> list waits for moderation. To post it,
send a message to:

   <#A#>

or reply to this message. To return it to its sender, send a
message to:

   <#R#>

Text between two lines starting with %%% in that message is
sent to the sender as the reason.

--- The message:

`,
	"mod-sub-confirm": `A request to add this address to the <#l#> list needs a
moderator's approval:

   <#A#>

To approve it, reply to this message, or send an empty message to:

   <#R#>

To refuse it, do nothing.

`,
	"mod-unsub-confirm": `A request to remove this address from the <#l#> list needs a
moderator's approval:

   <#A#>

To approve it, reply to this message, or send an empty message to:

   <#R#>

To refuse it, do nothing.

`,
}
