# bcryptprimitives.dll for Wine 8 (Debian 12), which lacks it: Go's runtime
# (since Go 1.22) gets its random bytes from bcryptprimitives!ProcessPrng
# and will not start without it. ProcessPrng(buf, len) is forwarded to
# advapi32!SystemFunction036 (RtlGenRandom), which Wine has; its BOOLEAN
# result is widened to the BOOL that ProcessPrng returns. Built by
# scripts/wine/setup.sh with binutils-mingw-w64-x86-64 (no C compiler).
	.text
	.globl	ProcessPrng
ProcessPrng:
	subq	$40, %rsp	# the Windows x64 ABI's shadow space, aligned
	call	*__imp_SystemFunction036(%rip)
	addq	$40, %rsp
	movzbl	%al, %eax
	ret
	.globl	DllEntry
DllEntry:			# DllMain: nothing to set up
	movl	$1, %eax
	ret
